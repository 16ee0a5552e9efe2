import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  isJsonObject,
  JsonObject,
  secretInputValues,
} from '@self-service-actions/plugin-self-service-actions-common';
import { InvocationContext } from '@self-service-actions/plugin-self-service-actions-node';
import { ActionDefinition, ActionSource } from '../actions/types';
import { RunSettings } from '../config';
import { RunRecord, RunStore } from '../database/RunStore';
import { InvokerRegistry } from '../invokers/InvokerRegistry';
import {
  applyInvocationAnswer,
  completeOnAnswer,
  DISPATCHABLE_STATUSES,
  failUndelivered,
} from '../runs/lifecycle';
import { ReportParser } from '../runs/parseReport';
import { mintToken } from '../runs/tokens';
import { namedInputValues, secretScrubber } from './scrubSecrets';
import { previewRequest, RunPreview } from './previewRequest';
import { secretInputNames } from '../actions/secretPaths';
import { storableText } from '../database/rows';

/** Runs claimed at most per recovery round. */
const RECOVERY_BATCH = 50;
/**
 * The outcome of an invocation already sent is recorded however busy the database is:
 * refused, the run would be sent again once its lease ran out.
 */
const AFTER_SENDING = { mayShed: false };

/**
 * Durable dispatch: a run is stored under a lease before its invocation is sent; the outcome
 * is recorded (and applied through the lifecycle rules); runs whose sender died before sending
 * are claimed by another instance when the lease runs out and sent then (at least once:
 * receivers dedupe on the run id).
 */
export class Dispatcher {
  /** The config secrets each context's action names (owner-managed actions), to scrub. */
  private readonly actionSecrets = new WeakMap<InvocationContext, string[]>();

  constructor(
    private readonly options: {
      store: RunStore;
      invokers: InvokerRegistry;
      actions: ActionSource;
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
      reportParser: ReportParser;
      /** Where external systems report (`POST /report`). */
      reportUrl: string;
      runSettings: RunSettings;
      /** Added to an invocation's timeout to make the lease of its dispatch. */
      leaseMarginMs: number;
    },
  ) {}

  /** What the invoker of a run is given. */
  invocationContext(options: {
    action: ActionDefinition;
    runId: string;
    reportToken: string;
    entity?: Entity;
    userRef: string;
    inputs: JsonObject;
  }): InvocationContext {
    const { action } = options;
    const properties = action.userInputs.properties;
    const context: InvocationContext = {
      method: action.method,
      action: { id: action.id, name: action.name, type: action.type },
      run: { id: options.runId, reportUrl: this.options.reportUrl, reportToken: options.reportToken },
      entity: options.entity,
      user: { ref: options.userRef },
      inputs: options.inputs,
      secretInputs: secretInputNames(action.userInputs, options.inputs),
      secretValues: secretInputValues(action.userInputs, options.inputs),
      declaredInputs: isJsonObject(properties) ? Object.keys(properties) : [],
      ...(action.publicAddressesOnly ? { publicAddressesOnly: true } : {}),
    };
    if (action.referencedSecrets?.length) {
      this.actionSecrets.set(context, action.referencedSecrets);
    }
    return context;
  }

  /** Whether the action's external system reports back with a token (else none is minted). */
  reportsBack(action: ActionDefinition): boolean {
    return this.options.invokers.get(action.method).reportsBack?.(action.method) !== false;
  }

  /** Refuses (InputError) a run whose invocation cannot be built safely from its inputs. */
  check(context: InvocationContext): void {
    this.options.invokers.get(context.method).check?.(context);
  }

  /** The request a run would send now, secrets shown as `***` (see previewRequest). */
  preview(action: ActionDefinition, context: InvocationContext): RunPreview {
    return previewRequest(this.options.invokers.get(context.method), action, context);
  }

  /** Until when a new run's dispatch belongs to this instance. */
  leaseUntil(action: ActionDefinition, now: Date): Date {
    return new Date(now.getTime() + action.method.timeoutMs + this.options.leaseMarginMs);
  }

  /** Invokes the external system of a stored run and records what became of it. */
  async dispatch(context: InvocationContext): Promise<RunRecord> {
    const { store, invokers, logger, reportParser, runSettings } = this.options;
    const runId = context.run.id;
    const invoker = invokers.get(context.method);
    const outcome = await invoker.invoke(context);
    const now = new Date();
    // What the external system answers may echo what it was sent: nothing secret is kept.
    const scrub = secretScrubber([
      context.run.reportToken,
      ...(context.secretValues ?? namedInputValues(context.inputs, context.secretInputs)),
      ...(invoker.secrets?.(context) ?? []),
      ...(this.actionSecrets.get(context) ?? []),
    ]);
    if (outcome.kind === 'timed-out') {
      logger.info(`The invocation of run ${runId} did not answer in time; the run stays in progress`);
      return store.setDispatchStatus(runId, 'timed-out');
    }
    if (outcome.kind === 'failed') {
      // The reason (on the run) may quote the receiver's answer: it is not logged.
      logger.warn(`The invocation of run ${runId} failed`);
      const detail = outcome.detail === undefined ? null : storableText(scrub(outcome.detail));
      return store.updateRun(runId, failUndelivered(storableText(scrub(outcome.reason)), now, detail), AFTER_SENDING);
    }
    if (outcome.kind === 'completed') {
      const message = outcome.message === undefined ? undefined : storableText(scrub(outcome.message));
      return store.updateRun(runId, completeOnAnswer(message, now, runSettings), AFTER_SENDING);
    }
    // Scrubbed once parsed (see ReportParser.judge): a secret behind a JSON escape is found too.
    const report = reportParser.parseAnswer(outcome.answer, scrub);
    const links = outcome.links ?? [];
    if (!report && links.length === 0) {
      // The common answer (202, no report): one statement, nothing to decide.
      return store.setDispatchStatus(runId, 'delivered');
    }
    return store.updateRun(runId, applyInvocationAnswer(report, links, now, runSettings), AFTER_SENDING);
  }

  /**
   * Sends the invocations of runs whose instance died between storing and sending them. A
   * re-sent invocation carries a new report token; a run whose secret inputs were lost, whose
   * action or entity is gone, fails instead. Returns how many runs were claimed.
   */
  async recoverPending(now = new Date()): Promise<number> {
    const { store, leaseMarginMs } = this.options;
    const claimed = await store.claimUndispatched({
      now,
      leaseUntil: new Date(now.getTime() + leaseMarginMs),
      limit: RECOVERY_BATCH,
      statuses: DISPATCHABLE_STATUSES,
    });
    for (const runId of claimed) {
      const run = await store.getRun(runId);
      if (run) {
        this.options.logger.info(
          `Sending the invocation of run ${runId}, whose first sender stopped before sending it`,
        );
        await this.sendStored(run, now);
      }
    }
    return claimed.length;
  }

  /**
   * Sends a stored run that is due (released by its last approval, or claimed from an
   * instance that died): with a new report token, rebuilt from what was stored. A run whose
   * secret inputs were lost, or whose action or entity is gone, fails instead. Returns the run
   * as it is then.
   */
  async sendStored(run: RunRecord, now = new Date()): Promise<RunRecord> {
    const { store, logger, catalog, auth, actions } = this.options;
    const fail = (reason: string) => {
      logger.warn(`Run ${run.id} cannot be sent: ${reason}`);
      return store.updateRun(run.id, failUndelivered(reason, now));
    };
    const action = await actions.get(run.actionId);
    if (!action) {
      return fail('the action was removed before the webhook was sent; re-run');
    }
    if (run.hasSecretInputs) {
      return fail('secret inputs lost before dispatch; re-run');
    }
    let entity: Entity | undefined;
    if (run.entityRef) {
      entity = await catalog.getEntityByRef(run.entityRef, {
        credentials: await auth.getOwnServiceCredentials(),
      });
      if (!entity) {
        return fail(`entity ${run.entityRef} no longer exists; re-run`);
      }
    }
    const { token, hash } = this.reportsBack(action) ? mintToken() : { token: '', hash: null };
    const context = this.invocationContext({
      action,
      runId: run.id,
      reportToken: token,
      entity,
      userRef: run.initiatedBy,
      inputs: run.inputs,
    });
    try {
      this.check(context);
    } catch (error) {
      return fail(`the webhook cannot be rebuilt: ${(error as Error).message}`);
    }
    if (hash) {
      await store.addToken(run.id, hash, now);
    }
    return this.dispatch(context);
  }
}
