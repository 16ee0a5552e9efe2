import { Config } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { ActionType, JsonObject } from '@self-service-actions/plugin-self-service-actions-common';

/**
 * The part of a method's settings every invoker has. `validate` returns it with whatever else
 * its invocations need.
 *
 * @public
 */
export interface InvokerMethod {
  /** The method's type, as in `method.type`. */
  type: string;
  /**
   * How long an invocation may take. A run whose invocation was stored but not attempted is
   * claimed by another instance after this plus the dispatch lease margin.
   */
  timeoutMs: number;
}

/**
 * What one invocation knows about its run. The report token is in clear only here: it is never
 * stored, and must never appear in what an invoker logs or returns.
 *
 * @public
 */
export interface InvocationContext<TMethod extends InvokerMethod = InvokerMethod> {
  /** The action's method, as `validate` returned it. */
  method: TMethod;
  action: { id: string; name: string; type: ActionType };
  run: {
    id: string;
    /** Where the external system reports status (`POST`, header `x-report-token`). */
    reportUrl: string;
    /**
     * The run's report token, to hand to the external system. Empty when the invoker's
     * `reportsBack` says the method does not report back: no token is minted then.
     */
    reportToken: string;
  };
  /** The target entity, as the catalog holds it; absent for global actions. */
  entity?: Entity;
  /** The user who started the run. */
  user: { ref: string };
  /** The inputs as given and validated, secret ones included. */
  inputs: JsonObject;
  /**
   * The names of the top-level inputs that are secret or hold a secret at any depth (an object
   * with a password inside): never log, store or return their values.
   */
  secretInputs: string[];
  /**
   * Every value the input schema marks secret, at any depth (nested objects, array items,
   * branches), as text: scrub them from anything an invoker logs or returns. Absent in
   * contexts built before it existed; the plugin always sets it.
   */
  secretValues?: string[];
  /** The names of every input the action declares (given or not). */
  declaredInputs: string[];
  /**
   * True for actions their owners manage through the API (unless
   * `selfServiceActions.managedActions.allowPrivateNetworks`): an invoker that sends where the
   * action's definition points must connect only to public addresses, checked on the address
   * it connects to (a name resolving to a loopback, link-local or private address is refused at
   * send time). Absent for app-config actions, which admins wrote and may reach internal hosts.
   */
  publicAddressesOnly?: boolean;
}

/**
 * What became of an invocation.
 * - `accepted`: the external system took the work; `answer` is the body of its immediate answer,
 *   applied as a status report when it is one; `links` are added to the run;
 * - `completed`: the work is done and the run is complete (methods that do not report back,
 *   where the answer is the result: Flashduty-style buttons); `message` goes on the run;
 * - `failed`: it refused or could not be reached; `reason` is recorded on the run (never a
 *   secret or the report token);
 * - `timed-out`: no answer in time; the run stays in progress and the external system may
 *   still report.
 *
 * @public
 */
export type InvocationOutcome =
  | { kind: 'accepted'; answer?: string; links?: InvocationLink[] }
  | { kind: 'completed'; message?: string }
  | {
      kind: 'failed';
      reason: string;
      /**
       * What only those who may see where the method sends may read, after the reason: a
       * transport error's text, which names addresses and ports.
       */
      detail?: string;
    }
  | { kind: 'timed-out' };

/**
 * A link an invocation puts on its run (the workflow's runs, the pipeline's page).
 *
 * @public
 */
export interface InvocationLink {
  title: string;
  url: string;
}

/**
 * A problem with one field of an action's `method`; start-up (or the API that saved the
 * action) names the action and `method.<field>`.
 *
 * @public
 */
export class MethodConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
    this.name = 'MethodConfigError';
  }
}

/**
 * One way of invoking the external system of an action (`method.type`): a webhook, a GitHub
 * workflow, a pipeline. Added to the backend through
 * `selfServiceActionsInvokersExtensionPoint`; the built-in methods use the same interface.
 *
 * @public
 */
export interface Invoker<TMethod extends InvokerMethod = InvokerMethod> {
  /** The `method.type` this invoker handles. */
  readonly type: string;
  /**
   * Reads and checks an action's `method` block at start-up. Throws `MethodConfigError`
   * naming the field; never keeps the config's secrets anywhere but in the returned method.
   */
  validate(methodConfig: Config): TMethod;
  /**
   * Where the method sends its requests, shown to the action's owners and admins with the
   * action's definition (never a secret).
   */
  describe?(method: TMethod): { url?: string };
  /**
   * Whether the external system reports the run's progress to `reportUrl` with its token.
   * Default: true. When false no report token is minted (`run.reportToken` is empty) and
   * `invoke`'s outcome alone decides the run: `completed` or `failed`.
   */
  reportsBack?(method: TMethod): boolean;
  /**
   * Called before a run is stored, with the context `invoke` will get: throws `InputError`
   * (from `@backstage/errors`) to refuse the run when these inputs cannot be sent safely.
   * Nothing is stored or sent then.
   */
  check?(context: InvocationContext<TMethod>): void;
  /**
   * Values this invocation sends that must never be stored or shown (credentials in headers,
   * signing secrets). Whatever the external system answers is stored only after these, the
   * report token and secret input values are replaced by `***`.
   */
  secrets?(context: InvocationContext<TMethod>): string[];
  /**
   * The request `invoke` would send for this context, built the same way and not sent
   * (`POST /actions/:id/preview`). Credentials the invoker would fetch at send time are shown as
   * `***`; the plugin replaces `secrets`, the report token and secret inputs by `***` too.
   * Without it the method cannot be previewed.
   */
  preview?(context: InvocationContext<TMethod>): PreviewedRequest;
  /** Invokes the external system for a run that is already stored. Never throws. */
  invoke(context: InvocationContext<TMethod>): Promise<InvocationOutcome>;
}

/**
 * A request as an invoker would send it (see `Invoker.preview`).
 *
 * @public
 */
export interface PreviewedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}
