import { randomUUID } from 'node:crypto';
import {
  AuthService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  ActionListItem,
  isFinalStatus,
  JsonObject,
  PublicActionDefinition,
  Run,
  RunList,
  RunStatus,
  RUN_STATUSES,
  StatusReport,
} from '@internal/plugin-self-service-actions-common';
import Ajv, { ValidateFunction } from 'ajv';
import { ActionDefinition } from '../actions/types';
import { appliesToEntity } from '../actions/appliesTo';
import {
  compileInputSchema,
  inputErrorWithFields,
  toFieldErrors,
} from '../actions/inputValidation';
import { ActionAccess, Caller } from '../access/ActionAccess';
import { PermissionGate, PolicyDecisions } from '../access/PermissionGate';
import { RunRecord, RunStore } from '../database/types';
import { buildWebhookRequest, WebhookRequest } from '../webhook/buildRequest';
import { sendWebhook, WebhookOutcome } from '../webhook/sendWebhook';
import { TemplateContext } from '../webhook/template';
import { finalRunConflict, mergeReport, MergeSettings } from './mergeReport';
import { hashToken, mintToken } from './tokens';
import { reportSchemaWithLimits } from './reportSchema';
import { signWebhook } from '../webhook/sign';
import { isHostAllowed } from '../actions/readActions';

/** Lifecycle settings read from config. */
export interface RunSettings extends MergeSettings {
  /** Largest immediate webhook answer read, in bytes. */
  maxResponseBytes: number;
  /** Longest accepted log line. */
  maxLogLineLength: number;
  /** Host patterns webhooks may go to; undefined: any. */
  allowedHosts?: string[];
  /** Added to an action's timeout to make the lease of its dispatch. */
  dispatchLeaseMarginMs: number;
}

/** A caller of the REST API: who they are and the credentials to read the catalog with. */
export interface RequestContext {
  caller: Caller;
  credentials: BackstageCredentials;
  /** The permission framework's answers, asked once per request. */
  policy?: Promise<PolicyDecisions>;
}

/** Query of the run list. */
export interface RunQuery {
  actionId?: string;
  entityRef?: string;
  status?: string;
  mine?: boolean;
  limit?: number;
  cursor?: string;
}

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
const EXPIRY_BATCH_SIZE = 5000;
/**
 * Sweep batches under way at once. On PostgreSQL each batch locks its runs with SKIP LOCKED, so
 * two never take the same run, and the second uses a second database process; most of a
 * batch's time is the database updating each run's indexes. (SQLite runs them one after the
 * other.)
 */
const EXPIRY_WORKERS = 2;
const FAILURE_BODY_BYTES = 1024;

function toIso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entityOwners(entity: Entity | undefined): string[] | undefined {
  return entity?.relations
    ?.filter(relation => relation.type === 'ownedBy')
    .map(relation => relation.targetRef);
}

function firstBytes(text: string, bytes: number): string {
  return Buffer.from(text, 'utf8').subarray(0, bytes).toString('utf8');
}

/** Characters a report may send that PostgreSQL text cannot hold: NUL and lone surrogates. */
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Parses a status report, writing U+FFFD for characters no database text column can hold, so
 * that a stray byte in a log line or message is stored as such instead of failing the report
 * (SQLite and PostgreSQL alike).
 */
function parseReportJson(text: string): unknown {
  return JSON.parse(text, (_key, value) =>
    typeof value === 'string' ? value.replace(UNSTORABLE, '\ufffd') : value,
  );
}

/**
 * The run lifecycle: who may do what, creating and dispatching runs, status reports,
 * cancel, re-run and expiry. The router and the scheduled sweep both call it.
 */
export class RunService {
  private readonly actions: Map<string, ActionDefinition>;
  private readonly inputValidators = new Map<string, ValidateFunction>();
  private readonly validateReport: ValidateFunction;

  constructor(
    private readonly options: {
      store: RunStore;
      actions: ActionDefinition[];
      access: ActionAccess;
      gate: PermissionGate;
      catalog: CatalogService;
      auth: AuthService;
      ajv: Ajv;
      settings: RunSettings;
      reportUrl: string;
      logger: LoggerService;
      /** Hears of every change of a run, to push it to browsers; must not throw or wait. */
      onRunChanged?: (run: RunRecord, audience: string[]) => void;
    },
  ) {
    this.actions = new Map(options.actions.map(action => [action.id, action]));
    for (const action of options.actions) {
      this.inputValidators.set(action.id, compileInputSchema(options.ajv, action.userInputs));
    }
    this.validateReport = options.ajv.compile(reportSchemaWithLimits(options.settings));
  }

  // ---- actions

  async listActions(ctx: RequestContext, entityRef?: string): Promise<ActionListItem[]> {
    const entity = entityRef ? await this.findEntity(ctx, entityRef) : undefined;
    const owners = entityOwners(entity);
    const policy = await this.policy(ctx);
    return [...this.actions.values()]
      .filter(action => this.canSeeAction(ctx, policy, action, owners))
      .filter(action => !entity || appliesToEntity(action, entity))
      .map(action => {
        const decision = this.canRunAction(ctx, policy, action, owners);
        return {
          ...this.publicDefinition(ctx.caller, action),
          canRun: decision.allowed,
          ...(decision.allowed ? {} : { reason: decision.reason }),
        };
      });
  }

  async getAction(ctx: RequestContext, id: string): Promise<PublicActionDefinition> {
    const action = this.actions.get(id);
    if (!action || !this.canSeeAction(ctx, await this.policy(ctx), action)) {
      throw new NotFoundError(`Action ${id} not found`);
    }
    return this.publicDefinition(ctx.caller, action);
  }

  private policy(ctx: RequestContext): Promise<PolicyDecisions> {
    ctx.policy ??= this.options.gate.decide(ctx.credentials);
    return ctx.policy;
  }

  /** Config rules and the permission policy must both allow. */
  private canSeeAction(
    ctx: RequestContext,
    policy: PolicyDecisions,
    action: ActionDefinition,
    owners?: string[],
  ): boolean {
    return policy.mayReadAction(action) && this.options.access.canSeeAction(ctx.caller, action, owners);
  }

  private canRunAction(
    ctx: RequestContext,
    policy: PolicyDecisions,
    action: ActionDefinition,
    owners?: string[],
  ) {
    const decision = this.options.access.canRunAction(ctx.caller, action, owners);
    if (decision.allowed && !policy.mayRunAction(action)) {
      return { allowed: false, reason: 'The permission policy does not allow you to run this action' };
    }
    return decision;
  }

  /** The definition without header values, secrets or (for non-managers) the URL. */
  private publicDefinition(caller: Caller | undefined, action: ActionDefinition): PublicActionDefinition {
    const showUrl = caller ? this.options.access.manages(caller, action) : false;
    return {
      id: action.id,
      name: action.name,
      type: action.type,
      icon: action.icon,
      status: action.status,
      ...(action.description ? { description: action.description } : {}),
      owner: action.owner,
      visibility: action.visibility,
      ...(action.appliesTo ? { appliesTo: action.appliesTo } : {}),
      userInputs: action.userInputs,
      ...(action.uiSchema ? { uiSchema: action.uiSchema } : {}),
      method: { type: action.method.type, ...(showUrl ? { url: action.method.url } : {}) },
    };
  }

  // ---- runs

  async createRun(
    ctx: RequestContext,
    actionId: string,
    body: unknown,
    rerunOf: string | null = null,
  ): Promise<Run> {
    if (!isObject(body)) {
      throw new InputError('The request body must be a JSON object');
    }
    const unknownKeys = Object.keys(body).filter(key => key !== 'entityRef' && key !== 'inputs');
    if (unknownKeys.length > 0) {
      throw inputErrorWithFields(
        'Invalid request',
        unknownKeys.map(path => ({ path, message: 'is not a known field' })),
      );
    }
    const { entityRef, inputs = {} } = body;
    if (entityRef !== undefined && entityRef !== null && typeof entityRef !== 'string') {
      throw new InputError('entityRef must be a string');
    }
    const entity = entityRef ? await this.findEntity(ctx, entityRef) : undefined;
    const owners = entityOwners(entity);
    const policy = await this.policy(ctx);
    const action = this.actions.get(actionId);
    if (!action || !this.canSeeAction(ctx, policy, action, owners)) {
      throw new NotFoundError(`Action ${actionId} not found`);
    }
    const decision = this.canRunAction(ctx, policy, action, owners);
    if (action.status === 'Draft') {
      throw new ConflictError(`Action ${actionId} is a Draft and cannot be run`);
    }
    if (!decision.allowed) {
      throw new NotAllowedError(decision.reason);
    }
    if (action.appliesTo && !entity) {
      throw new InputError(`Action ${actionId} must be run on an entity (entityRef is required)`);
    }
    if (!action.appliesTo && entity) {
      throw new InputError(`Action ${actionId} is a global action and takes no entity`);
    }
    if (entity && !appliesToEntity(action, entity)) {
      throw new InputError(
        `Action ${actionId} does not apply to ${stringifyEntityRef(entity)} (kind ${entity.kind})`,
      );
    }
    if (!isObject(inputs)) {
      throw new InputError('inputs must be an object');
    }
    const validInputs = this.validateInputs(action, inputs);

    const now = new Date();
    const id = randomUUID();
    const { token, hash } = mintToken();
    // Built before storing: a value that cannot be sent safely refuses the run outright.
    const request = this.buildRequest(action, validInputs, {
      runId: id,
      token,
      entity,
      userRef: ctx.caller.userRef,
    });
    const storedInputs = Object.fromEntries(
      Object.entries(validInputs).filter(([name]) => !action.secretInputs.includes(name)),
    );
    await this.options.store.insertRun(
      {
        id,
        actionId: action.id,
        actionName: action.name,
        actionType: action.type,
        actionSnapshot: this.publicDefinition(undefined, action),
        entityRef: entity ? stringifyEntityRef(entity) : null,
        initiatedBy: ctx.caller.userRef,
        status: 'inprogress',
        message: null,
        error: null,
        inputs: storedInputs,
        links: [],
        rerunOf,
        startedAt: now,
        completedAt: null,
        createdAt: now,
        updatedAt: now,
        expiresAt: new Date(now.getTime() + this.options.settings.tokenTtlMs),
        lastReportAt: null,
        dispatchStatus: 'pending',
        // Stored before sending, under a lease: if this instance dies before the webhook
        // goes out, another claims the run when the lease runs out and sends it.
        dispatchLeaseUntil: new Date(
          now.getTime() + action.method.timeoutMs + this.options.settings.dispatchLeaseMarginMs,
        ),
        dispatchAttempts: 1,
        hasSecretInputs: action.secretInputs.some(name => name in validInputs),
      },
      hash,
    );
    if (process.env.SSA_TEST_FAILPOINT === 'kill-before-dispatch') {
      // Test-only: die like a crashed instance between storing a run and sending it.
      process.kill(process.pid, 'SIGKILL');
    }
    const run = await this.dispatch(id, action, request);
    this.notify(run);
    return this.toApiRun(ctx, policy, run, new Map([[run.entityRef ?? '', owners]]));
  }

  private buildRequest(
    action: ActionDefinition,
    inputs: JsonObject,
    run: { runId: string; token: string; entity?: Entity; userRef: string },
  ) {
    const unsigned = buildWebhookRequest(action, this.templateContext(action, inputs, run), inputs);
    if (!isHostAllowed(new URL(unsigned.url).hostname, this.options.settings.allowedHosts)) {
      throw new InputError('The webhook URL points at a host that is not allowed');
    }
    return signWebhook(unsigned, run.runId, action.method.signingSecrets);
  }

  private async dispatch(runId: string, action: ActionDefinition, request: WebhookRequest) {
    const outcome = await sendWebhook(request, {
      timeoutMs: action.method.timeoutMs,
      maxResponseBytes: this.options.settings.maxResponseBytes,
    });
    return this.applyDispatchOutcome(runId, outcome);
  }

  /**
   * Sends the webhooks of runs whose instance died between storing and sending them
   * (at-least-once: receivers dedupe on webhook-id, the run id). A re-sent webhook carries a
   * new report token; a run whose secret inputs were lost, whose action or entity is gone,
   * fails instead. Returns how many runs were claimed.
   */
  async dispatchPending(now = new Date()): Promise<number> {
    const { store, settings, logger, catalog, auth } = this.options;
    const leaseUntil = new Date(now.getTime() + settings.dispatchLeaseMarginMs);
    const claimed = await store.claimUndispatched(now, leaseUntil, 50);
    for (const runId of claimed) {
      const run = await store.getRun(runId);
      if (!run) continue;
      const action = this.actions.get(run.actionId);
      const fail = (reason: string) => {
        logger.warn(`Run ${runId} was never dispatched and cannot be: ${reason}`);
        return this.failDispatch(runId, reason, now);
      };
      if (!action) {
        await fail('the action was removed before the webhook was sent; re-run');
        continue;
      }
      if (run.hasSecretInputs) {
        await fail('secret inputs lost before dispatch; re-run');
        continue;
      }
      let entity: Entity | undefined;
      if (run.entityRef) {
        entity = await catalog.getEntityByRef(run.entityRef, {
          credentials: await auth.getOwnServiceCredentials(),
        });
        if (!entity) {
          await fail(`entity ${run.entityRef} no longer exists; re-run`);
          continue;
        }
      }
      const { token, hash } = mintToken();
      let request: WebhookRequest;
      try {
        request = this.buildRequest(action, run.inputs, {
          runId,
          token,
          entity,
          userRef: run.initiatedBy,
        });
      } catch (error) {
        await fail(`the webhook cannot be rebuilt: ${(error as Error).message}`);
        continue;
      }
      await store.addToken(runId, hash, now);
      logger.info(`Sending the webhook of run ${runId}, whose first sender stopped before sending it`);
      this.notify(await this.dispatch(runId, action, request));
    }
    return claimed.length;
  }

  private validateInputs(action: ActionDefinition, inputs: JsonObject): JsonObject {
    const copy = structuredClone(inputs);
    const validate = this.inputValidators.get(action.id)!;
    if (!validate(copy)) {
      throw inputErrorWithFields('Invalid inputs', toFieldErrors(validate.errors).map(error => ({
        ...error,
        path: error.path ? `inputs.${error.path}` : 'inputs',
      })));
    }
    return copy;
  }

  private templateContext(
    action: ActionDefinition,
    inputs: JsonObject,
    run: { runId: string; token: string; entity?: Entity; userRef: string },
  ): TemplateContext {
    const declared = isObject(action.userInputs.properties)
      ? Object.keys(action.userInputs.properties)
      : [];
    const allInputs: JsonObject = Object.fromEntries(declared.map(name => [name, null]));
    Object.assign(allInputs, inputs);
    return {
      reportToken: run.token,
      run: { id: run.runId, reportUrl: this.options.reportUrl },
      inputs: allInputs,
      entity: run.entity
        ? ({ ...run.entity, ref: stringifyEntityRef(run.entity) } as unknown as JsonObject)
        : undefined,
      user: { ref: run.userRef },
      action: { id: action.id, name: action.name, type: action.type },
    };
  }

  /**
   * Applies the immediate answer of the webhook. The receiver may already have reported
   * (even a final status) before answering, so a failure only fails a run no report reached.
   */
  private async applyDispatchOutcome(runId: string, outcome: WebhookOutcome): Promise<RunRecord> {
    const now = new Date();
    const { store, settings, logger } = this.options;
    const fail = (reason: string) => this.failDispatch(runId, reason, now);
    if (outcome.kind === 'timeout') {
      logger.info(`Webhook of run ${runId} did not answer in time; the run stays in progress`);
      return store.setDispatchStatus(runId, 'timed-out');
    }
    if (outcome.kind === 'error') {
      logger.warn(`Webhook of run ${runId} failed: ${outcome.message}`);
      return fail(`Webhook request failed: ${outcome.message}`);
    }
    if (outcome.status >= 300 && outcome.status < 400) {
      return fail(`Webhook answered ${outcome.status}: redirect not followed`);
    }
    if (outcome.status < 200 || outcome.status >= 300) {
      const body = firstBytes(outcome.body, FAILURE_BODY_BYTES);
      return fail(`Webhook answered ${outcome.status}${body ? `: ${body}` : ''}`);
    }
    const report = this.parseReport(outcome.body);
    if (!report) {
      // The common answer (202, no report): one statement, nothing to decide.
      return store.setDispatchStatus(runId, 'delivered');
    }
    return store.updateRun(runId, current => {
      if (isFinalStatus(current.status)) {
        return { run: { dispatchStatus: 'delivered' } };
      }
      try {
        const update = mergeReport(current, report, now, settings);
        return { ...update, run: { ...update.run, dispatchStatus: 'delivered' } };
      } catch {
        return { run: { dispatchStatus: 'delivered' } };
      }
    });
  }

  /**
   * Tells those who may watch a run (its initiator, the action's owners and results viewers,
   * the admins) that it changed. Only ids and the status travel; the browser reads the run.
   */
  private notify(run: RunRecord): void {
    const { onRunChanged, access } = this.options;
    if (!onRunChanged) return;
    const action = this.actions.get(run.actionId);
    const audience = [
      run.initiatedBy,
      ...(action ? [action.owner, ...action.resultsVisibleTo] : []),
      ...access.admins,
    ];
    onRunChanged(run, [...new Set(audience)]);
  }

  /** Fails a run whose webhook could not be delivered, unless a report already reached it. */
  private failDispatch(runId: string, reason: string, now: Date): Promise<RunRecord> {
    return this.options.store.updateRun(runId, current =>
      isFinalStatus(current.status) || current.lastReportAt
        ? { run: { dispatchStatus: 'failed' } }
        : {
            run: {
              status: 'failed',
              error: reason,
              completedAt: now,
              updatedAt: now,
              dispatchStatus: 'failed',
            },
          },
    );
  }

  private parseReport(body: string): StatusReport | undefined {
    try {
      const parsed = parseReportJson(body);
      return this.validateReport(parsed) ? (parsed as StatusReport) : undefined;
    } catch {
      return undefined;
    }
  }

  async getRun(ctx: RequestContext, id: string): Promise<Run> {
    const run = await this.readableRun(ctx, id);
    const policy = await this.policy(ctx);
    const owners = await this.ownersOf(ctx, policy, [run]);
    return this.toApiRun(ctx, policy, run, owners);
  }

  async listRuns(ctx: RequestContext, query: RunQuery): Promise<RunList> {
    if (query.status !== undefined && !RUN_STATUSES.includes(query.status as RunStatus)) {
      throw new InputError(`status must be one of ${RUN_STATUSES.join(', ')}`);
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new InputError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    const { access, store } = this.options;
    const { caller } = ctx;
    const policy = await this.policy(ctx);
    if (policy.readRuns.none) {
      return { items: [] };
    }
    const visibility = access.isAdmin(caller)
      ? ({ all: true } as const)
      : {
          all: false as const,
          initiatedBy: caller.userRef,
          actionIds: [...this.actions.values()]
            .filter(action => access.canSeeAllRuns(caller, action))
            .map(action => action.id),
        };
    const { runs, nextCursor } = await store.listRuns({
      filter: {
        actionId: query.actionId,
        entityRef: query.entityRef ? this.normalizeRef(query.entityRef) : undefined,
        status: query.status as RunStatus | undefined,
        initiatedBy: query.mine ? caller.userRef : undefined,
      },
      visibility,
      permissionCriteria: policy.readRuns.criteria,
      limit,
      cursor: query.cursor,
    });
    const owners = await this.ownersOf(ctx, policy, runs);
    return {
      items: runs.map(run => this.toApiRun(ctx, policy, run, owners)),
      ...(nextCursor ? { nextCursor } : {}),
    };
  }

  async rerun(ctx: RequestContext, runId: string, body: unknown): Promise<Run> {
    const original = await this.readableRun(ctx, runId);
    if (body !== undefined && !isObject(body)) {
      throw new InputError('The request body must be a JSON object');
    }
    const unknownKeys = Object.keys(body ?? {}).filter(key => key !== 'inputs');
    if (unknownKeys.length > 0) {
      throw inputErrorWithFields(
        'Invalid request',
        unknownKeys.map(path => ({ path, message: 'is not a known field' })),
      );
    }
    const overrides = (body as JsonObject | undefined)?.inputs ?? {};
    if (!isObject(overrides)) {
      throw new InputError('inputs must be an object');
    }
    // Secret inputs were never stored, so a re-run that needs them must be given them again.
    return this.createRun(
      ctx,
      original.actionId,
      {
        ...(original.entityRef ? { entityRef: original.entityRef } : {}),
        inputs: { ...original.inputs, ...overrides },
      },
      original.id,
    );
  }

  async cancel(ctx: RequestContext, runId: string): Promise<Run> {
    const run = await this.readableRun(ctx, runId);
    const action = this.actions.get(run.actionId);
    const policy = await this.policy(ctx);
    if (!this.canCancelRun(ctx, policy, run, action)) {
      throw new NotAllowedError('Only the initiator, the action owners and admins may cancel a run');
    }
    const now = new Date();
    const cancelled = await this.options.store.updateRun(runId, current => {
      if (isFinalStatus(current.status)) {
        throw finalRunConflict(current);
      }
      return {
        run: {
          status: 'terminated',
          message: `Cancelled by ${ctx.caller.userRef}`,
          completedAt: now,
          updatedAt: now,
        },
      };
    });
    this.notify(cancelled);
    const owners = await this.ownersOf(ctx, policy, [cancelled]);
    return this.toApiRun(ctx, policy, cancelled, owners);
  }

  // ---- reports

  /**
   * Applies a status report. The checks run in the order of the contract, each changing
   * nothing: unknown token, final run (even with an expired token, so the receiver stops),
   * expired token, then the body.
   */
  async report(
    token: string | undefined,
    rawBody: string,
  ): Promise<{ id: string; status: RunStatus; previousStatus: RunStatus }> {
    if (!token) {
      throw new AuthenticationError('Missing report token (x-report-token header)');
    }
    const { store, settings } = this.options;
    // The body is judged after finality and expiry, which come first; it is parsed only once
    // the token is known (never for strangers), and once even if the update is retried.
    let judged: { report?: StatusReport; error?: InputError } | undefined;
    const judgeBody = () => {
      if (!judged) {
        try {
          const parsed = parseReportJson(rawBody);
          judged = this.validateReport(parsed)
            ? { report: parsed as StatusReport }
            : { error: inputErrorWithFields('Invalid report', toFieldErrors(this.validateReport.errors)) };
        } catch {
          judged = { error: new InputError('The report body is not valid JSON') };
        }
      }
      return judged;
    };
    const now = new Date();
    let previousStatus: RunStatus | undefined;
    // Looked up by hash: raw tokens are never stored, so never compared.
    const updated = await store.updateRunByTokenHash(hashToken(token), current => {
      previousStatus = current.status;
      if (isFinalStatus(current.status)) {
        throw finalRunConflict(current);
      }
      if (current.expiresAt.getTime() <= now.getTime()) {
        throw new AuthenticationError('Report token expired');
      }
      const { report, error } = judgeBody();
      if (error) {
        throw error;
      }
      return mergeReport(current, report!, now, settings);
    });
    if (!updated) {
      throw new AuthenticationError('Invalid report token');
    }
    this.notify(updated);
    return { id: updated.id, status: updated.status, previousStatus: previousStatus! };
  }

  // ---- expiry

  /**
   * Terminates every open run whose deadline passed, in bounded batches; `onBatch` hears of
   * each batch (for the audit trail).
   */
  async expireRuns(
    now = new Date(),
    onBatch?: (runIds: string[]) => Promise<void>,
  ): Promise<number> {
    let total = 0;
    const sweepBatches = async () => {
      for (;;) {
        const ids = await this.options.store.expireRuns(
          now,
          EXPIRY_BATCH_SIZE,
          'Terminated: no final report before the report token expired',
        );
        total += ids.length;
        if (ids.length > 0) {
          await onBatch?.(ids);
        }
        if (ids.length < EXPIRY_BATCH_SIZE) {
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: EXPIRY_WORKERS }, sweepBatches));
    return total;
  }

  // ---- helpers

  private normalizeRef(ref: string): string {
    try {
      return stringifyEntityRef(parseEntityRef(ref));
    } catch {
      throw new InputError(`Invalid entity ref "${ref}"`);
    }
  }

  private async findEntity(ctx: RequestContext, ref: string): Promise<Entity> {
    const normalized = this.normalizeRef(ref);
    const entity = await this.options.catalog.getEntityByRef(normalized, {
      credentials: ctx.credentials,
    });
    if (!entity) {
      throw new NotFoundError(`Entity ${normalized} not found`);
    }
    return entity;
  }

  /**
   * Owners of the runs' entities, looked up only where they decide whether the caller may
   * re-run (allowEntityOwners, and the caller not allowed otherwise): a catalog call per list
   * would otherwise cost every page.
   */
  private async ownersOf(
    ctx: RequestContext,
    policy: PolicyDecisions,
    runs: RunRecord[],
  ): Promise<Map<string, string[] | undefined>> {
    const owners = new Map<string, string[] | undefined>();
    const refs = runs
      .filter(run => {
        const action = this.actions.get(run.actionId);
        return (
          !!run.entityRef &&
          !!action?.allowEntityOwners &&
          !this.canRunAction(ctx, policy, action).allowed
        );
      })
      .map(run => run.entityRef);
    const unique = [...new Set(refs.filter((ref): ref is string => !!ref))];
    if (unique.length > 0) {
      const { items } = await this.options.catalog.getEntitiesByRefs(
        { entityRefs: unique, fields: ['kind', 'metadata', 'relations'] },
        { credentials: ctx.credentials },
      );
      unique.forEach((ref, index) => owners.set(ref, entityOwners(items[index])));
    }
    return owners;
  }

  private async readableRun(ctx: RequestContext, id: string): Promise<RunRecord> {
    const run = await this.options.store.getRun(id);
    if (
      !run ||
      !(await this.policy(ctx)).readRuns.test(run) ||
      !this.options.access.canReadRun(ctx.caller, run, this.actions.get(run.actionId))
    ) {
      throw new NotFoundError(`Run ${id} not found`);
    }
    return run;
  }

  private canCancelRun(
    ctx: RequestContext,
    policy: PolicyDecisions,
    run: RunRecord,
    action?: ActionDefinition,
  ): boolean {
    return policy.cancelRuns.test(run) && this.options.access.canCancelRun(ctx.caller, run, action);
  }

  private toApiRun(
    ctx: RequestContext,
    policy: PolicyDecisions,
    run: RunRecord,
    owners: Map<string, string[] | undefined>,
  ): Run {
    const action = this.actions.get(run.actionId);
    const final = isFinalStatus(run.status);
    return {
      id: run.id,
      actionId: run.actionId,
      actionName: run.actionName,
      actionType: run.actionType,
      entityRef: run.entityRef,
      initiatedBy: run.initiatedBy,
      status: run.status,
      message: run.message,
      error: run.error,
      startedAt: toIso(run.startedAt),
      completedAt: toIso(run.completedAt),
      createdAt: run.createdAt.toISOString(),
      updatedAt: run.updatedAt.toISOString(),
      inputs: run.inputs,
      steps: run.steps.map(step => ({
        title: step.title,
        status: step.status,
        startedAt: step.startedAt.toISOString(),
        completedAt: toIso(step.completedAt),
        logs: step.logs,
      })),
      links: run.links,
      rerunOf: run.rerunOf,
      canCancel: !final && this.canCancelRun(ctx, policy, run, action),
      canRerun:
        !!action &&
        action.status === 'Active' &&
        this.canRunAction(ctx, policy, action, owners.get(run.entityRef ?? '')).allowed,
    };
  }
}
