import express from 'express';
import Router from 'express-promise-router';
import {
  AuditorService,
  AuditorServiceEventSeverityLevel,
  HttpAuthService,
  LoggerService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { AuthenticationError, InputError, isError, ServiceUnavailableError } from '@backstage/errors';
import { REPORT_TOKEN_HEADERS } from '@self-service-actions/plugin-self-service-actions-common';
import { RequestContext } from '../access/AccessPolicy';
import { ActionCatalog } from '../actions/ActionCatalog';
import { isDatabaseUnavailable } from '../database/unavailable';
import { RunReader } from '../runs/RunReader';
import { RunService } from '../runs/RunService';
import { EventAdmin } from '../events/EventAdmin';
import { RunPreviewer } from '../runs/RunPreviewer';
import { ManagedActions } from '../actions/ManagedActions';
import { addManagedActionRoutes } from './managedActionRoutes';
import { createOpenApiRouter } from '../schema/openapi';
import { meter, SampledCount } from '../observability/SampledCount';

/** What a refused report is counted as (the counter's `reason`). */
function refusalReason(error: unknown): string {
  if (!isError(error)) return 'error';
  switch (error.name) {
    case 'AuthenticationError':
      return 'token';
    case 'ConflictError':
      return 'final-run';
    case 'InputError':
      return 'invalid-body';
    default:
      return error.name;
  }
}

/** Seconds a client is asked to wait after a 503 (the queues drain in milliseconds). */
const RETRY_AFTER_SECONDS = 1;

/** Options of {@link createRouter}. */
export interface RouterOptions {
  actions: ActionCatalog;
  runs: RunService;
  reader: RunReader;
  /** Admins' view of lifecycle event deliveries. */
  events: EventAdmin;
  /** The request a run would send (owners and admins). */
  previewer: RunPreviewer;
  /** Owner-managed actions: create, change, delete. */
  managed: ManagedActions;
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  auditor: AuditorService;
  logger: LoggerService;
  maxBodyBytes: number;
  /** At most one log line per this interval about refused reports (default a minute). */
  refusalLogIntervalMs?: number;
}

/**
 * The HTTP routes of the plugin, as src/schema/openapi.yaml describes them: identify the
 * caller, call a service, shape the answer, audit. Query and body shapes are checked by the router generated
 * from the spec.
 */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { actions, runs, reader, events, previewer, managed, httpAuth, userInfo, auditor, maxBodyBytes } = options;
  const router = Router();
  // Anyone may call /report: refusals are counted and sampled in the log, not audited one by
  // one, so that a flood of bad tokens costs neither the audit trail nor the log.
  const refusals = new SampledCount({
    logger: options.logger,
    intervalMs: options.refusalLogIntervalMs ?? 60_000,
    counter: meter.createCounter('self_service_actions.reports.refused', {
      description: 'Status reports refused (reason: token, final-run, invalid-body)',
    }),
    message: (count, byReason) => `Refused ${count} status report(s) (${byReason})`,
  });

  /**
   * Records what a request changed (or was refused) with the auditor: actor (from the
   * request), action, entity, run and outcome. A refusal is recorded as a failed event.
   */
  async function audited<T extends { id: string; status: string }>(
    req: express.Request,
    eventId: string,
    severityLevel: AuditorServiceEventSeverityLevel,
    meta: JsonObject,
    work: () => Promise<T>,
  ): Promise<T> {
    const event = await auditor.createEvent({ eventId, severityLevel, request: req, meta });
    try {
      const result = await work();
      await event.success({ meta: { ...meta, runId: result.id, status: result.status } });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error, meta });
      throw error;
    }
  }

  // The report route stays outside the validated router although the spec describes it: its
  // checks have an order that is part of the contract (413, then 401 missing or unknown token,
  // 409 final run, 401 expired token, and only then 400 for the body), and the validator
  // would judge the body first. It authenticates by its token alone. Its body is read as text
  // whatever the content type (curl -d sends a form type) and parsed only after the token
  // checks, by the run service.
  router.post(
    '/report',
    express.text({ type: () => true, limit: maxBodyBytes }),
    async (req, res) => {
      // Reporters authenticate by their token alone. A stray Authorization header (a CI job's
      // own credentials) is ignored: left in place, the auditor would try it as a Backstage
      // token and refuse the report.
      delete req.headers.authorization;
      const token = REPORT_TOKEN_HEADERS.map(name => req.header(name)).find(Boolean);
      const body = typeof req.body === 'string' ? req.body : '';
      let outcome: Awaited<ReturnType<RunService['report']>>;
      try {
        outcome = await runs.report(token, body);
      } catch (error) {
        refusals.add(refusalReason(error));
        // Without a valid token the caller is anyone (missing, malformed, unknown or expired
        // token): counted only. A holder of a genuine token refused for what it sent (a final
        // run, a bad body) is a receiver to fix, and stays in the audit trail.
        if (!(error instanceof AuthenticationError)) {
          const event = await auditor.createEvent({ eventId: 'run-report', severityLevel: 'low', request: req });
          await event.fail({ error: error as Error });
        }
        throw error;
      }
      const { id, status, previousStatus } = outcome;
      // Progress reports (steps and logs) would be most of the audit trail and say little; a
      // report that changes the run's status is recorded.
      if (status !== previousStatus) {
        const meta = { runId: id, previousStatus, status };
        const event = await auditor.createEvent({ eventId: 'run-report', severityLevel: 'low', request: req, meta });
        await event.success();
      }
      res.json({ id, status });
    },
  );

  // Bodies are parsed here, before the validated router: it turns every error that reaches it
  // into a 400 InputError, and an oversized body must stay a 413.
  router.use(express.json({ limit: maxBodyBytes }));
  // A body that is not JSON is the caller's mistake: answer with Backstage's InputError.
  router.use(
    (error: any, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
      next(
        error?.type === 'entity.parse.failed'
          ? new InputError(`The request body is not valid JSON: ${error.message}`)
          : error,
      );
    },
  );

  const api = await createOpenApiRouter({
    // The body is already parsed (above); the generated router's default parser would only
    // skip it.
    middleware: [(_req, _res, next) => next()],
    // Who may call is decided by Backstage's auth barrier and httpAuth (a user token, checked
    // in requestContext); the spec's `security` documents it. The validator's own check would
    // answer a missing token with 400 instead of 401.
    validatorOptions: { validateSecurity: false },
  });
  router.use(api);

  // Any request, whatever the spec made of its parameters' types.
  async function requestContext(
    req: Parameters<HttpAuthService['credentials']>[0],
  ): Promise<RequestContext> {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const info = await userInfo.getUserInfo(credentials);
    return {
      credentials,
      via: 'api',
      caller: {
        userRef: info.userEntityRef,
        ownershipRefs: info.ownershipEntityRefs,
      },
    };
  }

  api.get('/actions', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(await actions.list(ctx, req.query.entityRef));
  });

  api.get('/actions/:id', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(await actions.get(ctx, req.params.id));
  });

  addManagedActionRoutes(api as unknown as express.Router, { managed, auditor, requestContext });

  api.post('/actions/:id/runs', async (req, res) => {
    const ctx = await requestContext(req);
    const meta = {
      actionId: req.params.id,
      entityRef: typeof req.body?.entityRef === 'string' ? req.body.entityRef : null,
    };
    res
      .status(201)
      .json(
        await audited(req, 'run-create', 'medium', meta, () =>
          runs.createRun(ctx, req.params.id, req.body ?? {}),
        ),
      );
  });

  api.post('/actions/:id/test', async (req, res) => {
    const ctx = await requestContext(req);
    const meta = { actionId: req.params.id, test: true };
    res
      .status(201)
      .json(await audited(req, 'run-create', 'medium', meta, () => runs.createTestRun(ctx, req.params.id, req.body ?? {})));
  });

  api.post('/actions/:id/preview', async (req, res) => {
    const ctx = await requestContext(req);
    const meta = { actionId: req.params.id };
    // Low: it reads the action's configuration (never its secrets) and changes nothing.
    const event = await auditor.createEvent({ eventId: 'action-preview', severityLevel: 'low', request: req, meta });
    try {
      const preview = await previewer.preview(ctx, req.params.id, req.body ?? {});
      await event.success();
      res.json(preview);
    } catch (error) {
      await event.fail({ error: error as Error, meta });
      throw error;
    }
  });

  api.get('/runs', async (req, res) => {
    const ctx = await requestContext(req);
    // The validator has checked every parameter against the spec (and may have converted
    // limit and mine from their text); String() and Number() take either form.
    const { actionId, entityRef, status, mine, awaitingMyDecision, includeTests, limit, cursor, order } = req.query;
    res.json(
      await reader.listRuns(ctx, {
        actionId,
        entityRef,
        status,
        mine: String(mine) === 'true',
        awaitingMyDecision: String(awaitingMyDecision) === 'true',
        includeTests: String(includeTests) === 'true',
        limit: limit === undefined ? undefined : Number(limit),
        cursor,
        order,
      }),
    );
  });

  api.get('/runs/:id', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(await reader.getRun(ctx, req.params.id));
  });

  api.post('/runs/:id/rerun', async (req, res) => {
    const ctx = await requestContext(req);
    res
      .status(201)
      .json(
        await audited(req, 'run-create', 'medium', { rerunOf: req.params.id }, () =>
          runs.rerun(ctx, req.params.id, req.body),
        ),
      );
  });

  api.post('/runs/:id/approve', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(
      await audited(req, 'run-approve', 'medium', { runId: req.params.id }, () =>
        runs.decide(ctx, req.params.id, 'approved', req.body),
      ),
    );
  });

  api.post('/runs/:id/reject', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(
      await audited(req, 'run-reject', 'medium', { runId: req.params.id }, () =>
        runs.decide(ctx, req.params.id, 'rejected', req.body),
      ),
    );
  });

  api.post('/runs/:id/cancel', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(
      await audited(req, 'run-cancel', 'medium', { runId: req.params.id }, () =>
        runs.cancel(ctx, req.params.id),
      ),
    );
  });

  api.get('/me', async (req, res) => {
    const ctx = await requestContext(req);
    res.json({ ...events.caller(ctx), ...(await managed.creation(ctx)) });
  });

  api.get('/events/deliveries', async (req, res) => {
    const ctx = await requestContext(req);
    const { status, subscriberId, limit, cursor } = req.query;
    res.json(
      await events.list(ctx, {
        status,
        subscriberId,
        limit: limit === undefined ? undefined : Number(limit),
        cursor,
      }),
    );
  });

  api.post('/events/deliveries/:id/retry', async (req, res) => {
    const ctx = await requestContext(req);
    const meta = { deliveryId: req.params.id };
    const event = await auditor.createEvent({ eventId: 'event-delivery-retry', severityLevel: 'medium', request: req, meta });
    try {
      const delivery = await events.retry(ctx, req.params.id);
      await event.success({ meta: { ...meta, eventId: delivery.eventId, subscriberId: delivery.subscriberId } });
      res.json(delivery);
    } catch (error) {
      await event.fail({ error: error as Error, meta });
      throw error;
    }
  });

  // The framework renders errors (503 for ServiceUnavailableError); this adds how long to wait,
  // for the requests refused because a queue is full (see Batcher) and for those that met a
  // database that cannot be reached (a restart, a failover), which would otherwise answer 500.
  router.use(
    (error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      const unavailable = isDatabaseUnavailable(error)
        ? new ServiceUnavailableError('The database cannot be reached right now; retry shortly')
        : error;
      if (isError(unavailable) && unavailable.name === 'ServiceUnavailableError' && !res.headersSent) {
        res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      }
      next(unavailable);
    },
  );

  return router;
}
