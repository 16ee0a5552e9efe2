import { Config } from '@backstage/config';
import {
  Invoker,
  InvokerMethod,
  MethodConfigError,
  SelfServiceActionsInvokersExtensionPoint,
} from '@self-service-actions/plugin-self-service-actions-node';

/**
 * The invokers by `method.type`: the built-in ones and those backend modules added through
 * the extension point, which this implements.
 */
export class InvokerRegistry implements SelfServiceActionsInvokersExtensionPoint {
  private readonly invokers = new Map<string, Invoker<any>>();

  addInvoker<TMethod extends InvokerMethod>(invoker: Invoker<TMethod>): void {
    if (!invoker.type || typeof invoker.type !== 'string') {
      throw new Error('A self-service actions invoker must have a type');
    }
    if (this.invokers.has(invoker.type)) {
      throw new Error(`A self-service actions invoker of type "${invoker.type}" is already added`);
    }
    this.invokers.set(invoker.type, invoker);
  }

  /** The invoker of a method, validated at start-up, so it is there. */
  get(method: InvokerMethod): Invoker {
    const invoker = this.invokers.get(method.type);
    if (!invoker) {
      throw new Error(`No invoker for method type "${method.type}"`);
    }
    return invoker;
  }

  /** Reads an action's `method` block with the invoker of its type; throws naming the field. */
  validate(methodConfig: Config): InvokerMethod {
    const type = methodConfig.getOptional('type');
    const invoker = typeof type === 'string' ? this.invokers.get(type) : undefined;
    if (!invoker) {
      throw new MethodConfigError(
        'type',
        `must be ${[...this.invokers.keys()].join(' or ')}, not ${JSON.stringify(type)}`,
      );
    }
    const method = invoker.validate(methodConfig);
    return { ...method, type: invoker.type };
  }
}
