import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { Invoker, InvokerMethod } from './invoker';

/**
 * Adds ways of invoking external systems (`method.type`) to the self-service actions backend.
 *
 * @public
 */
export interface SelfServiceActionsInvokersExtensionPoint {
  /** Adds an invoker; a type that is already taken stops start-up. */
  addInvoker<TMethod extends InvokerMethod>(invoker: Invoker<TMethod>): void;
}

/**
 * The extension point through which backend modules add invokers.
 *
 * @public
 */
export const selfServiceActionsInvokersExtensionPoint =
  createExtensionPoint<SelfServiceActionsInvokersExtensionPoint>({
    id: 'self-service-actions.invokers',
  });
