import { randomUUID } from 'node:crypto';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { AuthenticationError, InputError, NotAllowedError } from '@backstage/errors';
import {
  hasSecretInputValues,
  isJsonObject,
  Run,
  RunStatus,
  stripSecretInputs,
} from '@self-service-actions/plugin-self-service-actions-common';
import { AccessPolicy, RequestContext } from '../access/AccessPolicy';
import { ActionCatalog } from '../actions/ActionCatalog';
import { ActionDefinition } from '../actions/types';
import { RunSettings } from '../config';
import { RunRecord, RunStore } from '../database/RunStore';
import { Dispatcher } from '../dispatch/Dispatcher';
import {
  applyReport,
  cancelBy,
  decide,
  EXPIRY_RULES,
  failUndelivered,
  newRun,
  refuseDecision,
} from './lifecycle';
import { RunNotifier } from './RunNotifier';
import { secretScrubber } from '../dispatch/scrubSecrets';
import { storableJson, storableText } from '../database/rows';
import { JudgedReport, ReportParser } from './parseReport';
import { RunReader } from './RunReader';
import { prepareRun, refuseUnknownKeys } from './prepareRun';
import { stripRunSecrets } from './toApiRun';
import { hashToken, isMintedTokenForm, mintToken } from './tokens';

export type { RequestContext } from '../access/AccessPolicy';

const EXPIRY_BATCH_SIZE = 5000;
/**
 * Sweep batches under way at once. On PostgreSQL each batch locks its runs with SKIP LOCKED, so
 * two never take the same run, and the second uses a second database process; most of a
 * batch's time is the database updating each run's indexes. (SQLite runs them one after the
 * other.)
 */
const EXPIRY_WORKERS = 2;

export { AGENTS_NOT_ALLOWED } from './prepareRun';

/**
 * The run lifecycle's entry points: create (and re-run), report, cancel and expire. Each
 * change is a decision of `lifecycle.ts` written by the store; the router, the scheduled
 * sweep and any later entry point call this.
 */
export class RunService {
  constructor(
    private readonly options: {
      store: RunStore;
      actions: ActionCatalog;
      access: AccessPolicy;
      reader: RunReader;
      dispatcher: Dispatcher;
      reportParser: ReportParser;
      settings: RunSettings;
      /** Tells people about runs that need approval (and how those end). */
      notifier?: RunNotifier;
      /** Hears of every change of a run, to push it to browsers; must not throw or wait. */
      onRunChanged?: (run: RunRecord, audience: string[]) => void;
    },
  ) {}

  /**
   * Stores a run, then invokes its external system and answers the run as it is after the
   * immediate answer (or the timeout). A refused request stores and sends nothing.
   */
  /**
   * A test-fire (`POST /actions/:id/test`): a real run, marked `test`, by an owner or admin,
   * of a Draft as well (its owners try it before activating it).
   */
  createTestRun(ctx: RequestContext, actionId: string, body: unknown): Promise<Run> {
    return this.createRun(ctx, actionId, body, null, true);
  }

  async createRun(
    ctx: RequestContext,
    actionId: string,
    body: unknown,
    rerunOf: string | null = null,
    test = false,
  ): Promise<Run> {
    const { store, actions, dispatcher, reader, settings } = this.options;
    const { runnable, validInputs } = await prepareRun(
      actions,
      ctx,
      actionId,
      body,
      test ? 'Only the owners of this action and admins may test it' : undefined,
    );
    const { action, entity, access } = runnable;

    const now = new Date();
    const id = randomUUID();
    // A method whose answer is the result (no reports) gets no token at all.
    const { token, hash } = dispatcher.reportsBack(action) ? mintToken() : { token: '', hash: null };
    const context = dispatcher.invocationContext({
      action,
      runId: id,
      reportToken: token,
      entity,
      userRef: ctx.caller.userRef,
      inputs: validInputs,
    });
    // Checked before storing: a value that cannot be sent safely refuses the run outright.
    dispatcher.check(context);
    // Sent as given; stored as the databases can hold them.
    // Secret values go nowhere but the invocation, at whatever depth the schema marks them.
    const storedInputs = storableJson(stripSecretInputs(action.userInputs, validInputs));
    const record = newRun({
      id,
      action,
      snapshot: actions.publicDefinition(action),
      entityRef: entity ? stringifyEntityRef(entity) : null,
      initiatedBy: ctx.caller.userRef,
      storedInputs,
      hasSecretInputs: hasSecretInputValues(action.userInputs, validInputs),
      rerunOf,
      initiatedVia: ctx.via,
      test,
      now,
      leaseUntil: dispatcher.leaseUntil(action, now),
      settings,
    });
    if (record.approval) {
      // Held: nothing is sent and no token is kept until the approvals are in.
      await store.insertRun(record, null);
      const changed = await this.failIfActionChanged(action, id);
      const held = changed ?? { ...record, steps: [] };
      if (changed) {
        const [shown] = await reader.present(ctx, access, [held], undefined, new Map([[action.id, action]]));
        return shown;
      }
      await this.notify(held);
      this.options.notifier?.approvalRequested(held);
      const [shown] = await reader.present(
        ctx,
        access,
        [held],
        new Map([[held.entityRef ?? '', runnable.entityOwners]]),
        new Map([[action.id, action]]),
      );
      return shown;
    }
    await store.insertRun(record, hash);
    const changed = await this.failIfActionChanged(action, id);
    if (changed) {
      const [shown] = await reader.present(ctx, access, [changed], undefined, new Map([[action.id, action]]));
      return shown;
    }
    if (process.env.SSA_TEST_FAILPOINT === 'kill-before-dispatch') {
      // Test-only: die like a crashed instance between storing a run and sending it.
      process.kill(process.pid, 'SIGKILL');
    }
    const run = await dispatcher.dispatch(context);
    await this.notify(run, 'inprogress');
    const owners = new Map([[run.entityRef ?? '', runnable.entityOwners]]);
    // The action just read: presenting the run needs no second read of it.
    const [shown] = await reader.present(ctx, access, [run], owners, new Map([[action.id, action]]));
    return shown;
  }

  /**
   * An owner-managed action changed (or was deleted) between reading it and storing the run:
   * the run fails before anything is sent, rather than go out with a definition its owners
   * replaced (ManagedActionStore.locked says why the check after storing is enough).
   */
  private async failIfActionChanged(action: ActionDefinition, runId: string): Promise<RunRecord | undefined> {
    if (await this.options.actions.isCurrent(action)) return undefined;
    return this.options.store.updateRun(
      runId,
      failUndelivered('The action was changed while this run started; nothing was sent: run it again', new Date()),
    );
  }

  /**
   * A new run of a run's action on its entity, with its inputs and the given overrides. Secret
   * inputs were never stored, so a re-run that needs them must be given them again.
   */
  async rerun(ctx: RequestContext, runId: string, body: unknown): Promise<Run> {
    const { run: original, action } = await this.options.reader.readableRun(ctx, runId);
    if (body !== undefined && !isJsonObject(body)) {
      throw new InputError('The request body must be a JSON object');
    }
    refuseUnknownKeys(body ?? {}, ['inputs']);
    const overrides = body?.inputs ?? {};
    if (!isJsonObject(overrides)) {
      throw new InputError('inputs must be an object');
    }
    return this.createRun(
      ctx,
      original.actionId,
      {
        ...(original.entityRef ? { entityRef: original.entityRef } : {}),
        // Nothing secret is offered again, even from a run stored before its schema said so.
        inputs: { ...stripRunSecrets(original, action), ...overrides },
      },
      original.id,
    );
  }

  /** Terminates an open run: its initiator, the action's owners and admins may. */
  async cancel(ctx: RequestContext, runId: string): Promise<Run> {
    const { store, reader } = this.options;
    const { run, action, access } = await reader.readableRun(ctx, runId);
    if (!access.canCancelRun(run, action)) {
      throw new NotAllowedError('Only the initiator, the action owners and admins may cancel a run');
    }
    const cancelled = await store.updateRun(runId, cancelBy(ctx.caller.userRef, new Date()));
    await this.notify(cancelled, run.status);
    const [shown] = await reader.present(ctx, access, [cancelled]);
    return shown;
  }

  /**
   * An approver's decision on a held run, answered in the contract's order: 404 the caller may
   * not read the run, 403 may not decide on it, 409 it does not wait or they decided already,
   * 400 a rejection without a comment. The approval that completes the approvals sends the
   * run, once: of two at the same moment (on any instances) one releases it and the other is
   * refused with 409.
   */
  async decide(
    ctx: RequestContext,
    runId: string,
    decision: 'approved' | 'rejected',
    body: unknown,
  ): Promise<Run> {
    const { store, reader, dispatcher, notifier, settings } = this.options;
    const { run, action, access } = await reader.readableRun(ctx, runId);
    if (body !== undefined && !isJsonObject(body)) {
      throw new InputError('The request body must be a JSON object');
    }
    refuseUnknownKeys(body ?? {}, ['comment']);
    const allowed = access.mayDecide(run);
    if (!allowed.allowed) {
      throw new NotAllowedError(allowed.reason);
    }
    const by = ctx.caller.userRef;
    refuseDecision(run, by);
    const comment =
      typeof body?.comment === 'string' && body.comment.trim() ? storableText(body.comment.trim()) : null;
    if (body?.comment !== undefined && typeof body.comment !== 'string') {
      throw new InputError('comment must be a string');
    }
    if (decision === 'rejected' && !comment) {
      throw new InputError('A rejection needs a comment saying why');
    }
    const now = new Date();
    const leaseUntil = action ? dispatcher.leaseUntil(action, now) : now;
    const decideOnCurrent = decide({ by, decision, comment, now, leaseUntil, settings });
    let releasing = false;
    let decided = await store.updateRun(runId, current => {
      const update = decideOnCurrent(current);
      releasing = update?.run.dispatchStatus === 'pending';
      return update;
    });
    notifier?.decided(decided, by);
    // Signals only: the decision's own notification tells the initiator.
    await this.notify(decided);
    if (releasing) {
      decided = await dispatcher.sendStored(decided, now);
      await this.notify(decided, 'inprogress');
    }
    const [shown] = await reader.present(ctx, access, [decided]);
    return shown;
  }

  /**
   * Applies a status report. The checks run in the order of the contract, each changing
   * nothing: unknown token, then those of `applyReport`.
   */
  async report(
    token: string | undefined,
    rawBody: string,
  ): Promise<{ id: string; status: RunStatus; previousStatus: RunStatus }> {
    if (!token) {
      throw new AuthenticationError('Missing report token (x-report-token header)');
    }
    if (!isMintedTokenForm(token)) {
      // Not one we could have minted: refused without a database read.
      throw new AuthenticationError('Invalid report token');
    }
    const { store, settings, reportParser } = this.options;
    // The body is parsed only once the token is known (never for strangers), and once even
    // if the update is retried.
    let judged: JudgedReport | undefined;
    // A reporter that logs its own token (a debug line) must not have it stored in clear.
    const judge = () => (judged ??= reportParser.judge(rawBody, secretScrubber([token])));
    const decideOnReport = applyReport(judge, new Date(), settings);
    let previousStatus: RunStatus | undefined;
    // Looked up by hash: raw tokens are never stored, so never compared.
    const updated = await store.updateRunByTokenHash(hashToken(token), current => {
      previousStatus = current.status;
      return decideOnReport(current);
    });
    if (!updated) {
      throw new AuthenticationError('Invalid report token');
    }
    await this.notify(updated, previousStatus);
    return { id: updated.id, status: updated.status, previousStatus: previousStatus! };
  }

  /**
   * Terminates every open run whose deadline passed, in bounded batches; `onBatch` hears of
   * each batch (for the audit trail).
   */
  async expireRuns(
    now = new Date(),
    onBatch?: (runIds: string[], status: RunStatus) => Promise<void>,
  ): Promise<number> {
    let total = 0;
    // In order: held runs past their approval deadline are rejected before the rule for every
    // other open run could take them.
    for (const rule of EXPIRY_RULES) {
      const counts = await Promise.all(
        Array.from({ length: EXPIRY_WORKERS }, () => this.sweepBatches(rule, now, onBatch)),
      );
      total += counts.reduce((sum, count) => sum + count, 0);
    }
    return total;
  }

  /** One sweeper: batches of one expiry rule until a batch comes back short. */
  private async sweepBatches(
    rule: (typeof EXPIRY_RULES)[number],
    now: Date,
    onBatch?: (runIds: string[], status: RunStatus) => Promise<void>,
  ): Promise<number> {
    let count = 0;
    for (;;) {
      const ids = await this.options.store.expireRuns({ now, batchSize: EXPIRY_BATCH_SIZE, ...rule });
      count += ids.length;
      if (ids.length > 0) {
        await onBatch?.(ids, rule.status);
        if (rule.status === 'rejected') {
          await this.notifyExpiredApprovals(ids);
        }
      }
      if (ids.length < EXPIRY_BATCH_SIZE) {
        return count;
      }
    }
  }

  /** Tells the initiators of runs whose approval expired (few: each is read). */
  private async notifyExpiredApprovals(ids: string[]): Promise<void> {
    const { notifier, store } = this.options;
    if (!notifier) return;
    for (const id of ids) {
      const run = await store.getRun(id);
      if (run) notifier.finished(run);
    }
  }

  /**
   * Tells those who may watch a run (its initiator, the action's owners and results viewers,
   * its approvers, the admins) that it changed. Only ids and the status travel; the browser
   * reads the run. The announcer narrows this audience to whom the permission policy allows.
   */
  private async notify(run: RunRecord, previousStatus?: RunStatus): Promise<void> {
    const { onRunChanged, actions, access, notifier } = this.options;
    if (previousStatus && previousStatus !== run.status) {
      notifier?.finished(run);
    }
    if (!onRunChanged) return;
    const action = await actions.find(run.actionId);
    const audience = [
      run.initiatedBy,
      ...(action ? [action.owner, ...action.resultsVisibleTo] : []),
      // They read the runs held for them (ActionAccess.canReadRun) and list those awaiting them.
      ...(run.approval?.approvers ?? []),
      ...access.admins,
    ];
    onRunChanged(run, [...new Set(audience)]);
  }
}
