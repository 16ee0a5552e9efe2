import express from 'express';
import Router from 'express-promise-router';
import {
  AuditorService,
  AuditorServiceEventSeverityLevel,
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { InputError } from '@backstage/errors';
import { REPORT_TOKEN_HEADERS } from '@internal/plugin-self-service-actions-common';
import { RequestContext } from '../access/AccessPolicy';
import { ActionCatalog } from '../actions/ActionCatalog';
import { RunReader } from '../runs/RunReader';
import { RunService } from '../runs/RunService';

/** Options of {@link createRouter}. */
export interface RouterOptions {
  actions: ActionCatalog;
  runs: RunService;
  reader: RunReader;
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  auditor: AuditorService;
  maxBodyBytes: number;
}

function singleQueryValue(value: unknown, name: string): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new InputError(`Query parameter ${name} must be given once`);
  }
  return value;
}

/** The HTTP routes of the plugin: parse, call the run service, shape the answer. */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { actions, runs, reader, httpAuth, userInfo, auditor, maxBodyBytes } = options;
  const router = Router();

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

  // The report route authenticates by its token alone. Its body is read as text whatever
  // the content type (curl -d sends a form type) and parsed only after the token checks.
  router.post(
    '/report',
    express.text({ type: () => true, limit: maxBodyBytes }),
    async (req, res) => {
      const token = REPORT_TOKEN_HEADERS.map(name => req.header(name)).find(Boolean);
      const body = typeof req.body === 'string' ? req.body : '';
      let outcome: Awaited<ReturnType<RunService['report']>>;
      try {
        outcome = await runs.report(token, body);
      } catch (error) {
        // A refused report (unknown or expired token, final run, bad body) is always recorded.
        const event = await auditor.createEvent({ eventId: 'run-report', severityLevel: 'low', request: req });
        await event.fail({ error: error as Error });
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

  async function requestContext(req: express.Request): Promise<RequestContext> {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const info = await userInfo.getUserInfo(credentials);
    return {
      credentials,
      caller: {
        userRef: info.userEntityRef,
        ownershipRefs: info.ownershipEntityRefs,
      },
    };
  }

  router.get('/actions', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(
      await actions.list(ctx, singleQueryValue(req.query.entityRef, 'entityRef')),
    );
  });

  router.get('/actions/:id', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(await actions.get(ctx, req.params.id));
  });

  router.post('/actions/:id/runs', async (req, res) => {
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

  router.get('/runs', async (req, res) => {
    const ctx = await requestContext(req);
    const limit = singleQueryValue(req.query.limit, 'limit');
    const mine = singleQueryValue(req.query.mine, 'mine');
    if (mine !== undefined && mine !== 'true' && mine !== 'false') {
      throw new InputError('mine must be true or false');
    }
    if (limit !== undefined && !/^\d+$/.test(limit)) {
      throw new InputError('limit must be a positive integer');
    }
    res.json(
      await reader.listRuns(ctx, {
        actionId: singleQueryValue(req.query.actionId, 'actionId'),
        entityRef: singleQueryValue(req.query.entityRef, 'entityRef'),
        status: singleQueryValue(req.query.status, 'status'),
        mine: mine === 'true',
        limit: limit === undefined ? undefined : Number(limit),
        cursor: singleQueryValue(req.query.cursor, 'cursor'),
      }),
    );
  });

  router.get('/runs/:id', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(await reader.getRun(ctx, req.params.id));
  });

  router.post('/runs/:id/rerun', async (req, res) => {
    const ctx = await requestContext(req);
    res
      .status(201)
      .json(
        await audited(req, 'run-create', 'medium', { rerunOf: req.params.id }, () =>
          runs.rerun(ctx, req.params.id, req.body),
        ),
      );
  });

  router.post('/runs/:id/cancel', async (req, res) => {
    const ctx = await requestContext(req);
    res.json(
      await audited(req, 'run-cancel', 'medium', { runId: req.params.id }, () =>
        runs.cancel(ctx, req.params.id),
      ),
    );
  });

  return router;
}
