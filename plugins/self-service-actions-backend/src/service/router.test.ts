import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import { Knex } from 'knex';
import request from 'supertest';
import { startPluginBackend } from '../testing/testBackend';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { SignalPayload, signalsServiceRef } from '@backstage/plugin-signals-node';
import { closedPort, TestReceiver } from '../testing/TestReceiver';
import { actionsConfig, authHeader, Person } from '../testing/fixtures';
import { RunChangedSignal } from '@internal/plugin-self-service-actions-common';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const started = '2026-05-10T15:35:42.714+00:00';

describe.each(databases.eachSupportedId())('router on %p', databaseId => {
  let knex: Knex;
  let server: any;
  let receiver: TestReceiver;
  let okAnswer: { status: number; body?: unknown };
  let scheduler: ReturnType<typeof mockServices.scheduler.mock>;
  const signals: SignalPayload[] = [];

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    receiver = new TestReceiver()
      .on('/hooks/ok', () => okAnswer)
      .on('/hooks/fail', () => ({ status: 500, body: 'boom: database locked' }))
      .on('/hooks/slow', async () => {
        await new Promise(resolve => setTimeout(resolve, 1500));
        return { status: 200 };
      })
      .on('/hooks/redirect', () => ({ status: 302, headers: { location: '/hooks/ok' } }));
    const receiverUrl = await receiver.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}/hooks`;
    const backend = await startPluginBackend({
      extraFeatures: [
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({ publish: async (signal: SignalPayload) => void signals.push(signal) }),
        }),
      ],
      knex,
      selfServiceActions: {
        admins: ['group:default/portal-admins'],
        report: { maxBodyBytes: 64 * 1024, maxLogLinesPerStep: 3 },
        actions: actionsConfig(receiverUrl, refusedUrl),
      },
    });
    server = backend.server;
    scheduler = backend.scheduler;
  });

  afterAll(async () => {
    await receiver.stop();
  });

  beforeEach(async () => {
    receiver.requests.length = 0;
    okAnswer = { status: 202, body: { accepted: true } };
  });

  const api = (path: string) => `/api/self-service-actions${path}`;
  const as = (person: Person) => ({ authorization: authHeader(person) });

  async function createRun(
    person: Person,
    actionId: string,
    body: object = { entityRef: 'component:default/payments', inputs: { reason: 'stuck' } },
  ) {
    return request(server).post(api(`/actions/${actionId}/runs`)).set(as(person)).send(body);
  }

  function tokenOf(index = -1): string {
    const hook = receiver.requests.at(index)!;
    return hook.body.reportToken ?? hook.body['c8-report-token'];
  }

  async function report(token: string | undefined, body: unknown, header = 'x-report-token') {
    const req = request(server).post(api('/report'));
    if (token) req.set(header, token);
    return typeof body === 'string'
      ? req.set('content-type', 'application/x-www-form-urlencoded').send(body)
      : req.send(body as object);
  }

  async function tableCounts() {
    const count = async (table: string) =>
      Number((await knex(table).count({ n: '*' }))[0].n);
    return { runs: await count('runs'), steps: await count('run_steps'), tokens: await count('run_tokens') };
  }

  describe('GET /actions', () => {
    it('lists the actions that apply to the entity with canRun and no secrets', async () => {
      const res = await request(server)
        .get(api('/actions?entityRef=component:default/payments'))
        .set(as('allowed'));
      expect(res.status).toBe(200);
      const ids = res.body.map((a: any) => a.id);
      expect(ids).toEqual(['restart-service', 'failing', 'refused', 'slow', 'redirected']);
      const restart = res.body[0];
      expect(restart).toMatchObject({ canRun: true, type: 'Day2', icon: 'restart' });
      expect(restart.method).toEqual({ type: 'Webhook' });
      expect(JSON.stringify(res.body)).not.toContain('hook-secret-value');
    });

    it('shows entity owners the private action for their entity, and says why others cannot run', async () => {
      const ed = await request(server)
        .get(api('/actions?entityRef=component:default/payments'))
        .set(as('entityOwner'));
      const byId = Object.fromEntries(ed.body.map((a: any) => [a.id, a]));
      expect(byId['owner-restart'].canRun).toBe(true);
      expect(byId['restart-service']).toMatchObject({ canRun: false });
      expect(byId['restart-service'].reason).toMatch(/allowed people/);
      const stranger = await request(server)
        .get(api('/actions?entityRef=component:default/payments'))
        .set(as('stranger'));
      expect(stranger.body.map((a: any) => a.id)).not.toContain('owner-restart');
    });

    it('shows owners and admins the Draft and private actions with their URL', async () => {
      for (const person of ['owner', 'admin'] as const) {
        const res = await request(server).get(api('/actions')).set(as(person));
        const ids = res.body.map((a: any) => a.id);
        expect(ids).toEqual(expect.arrayContaining(['draft-action', 'secret-ops', 'owner-restart']));
        expect(res.body[0].method.url).toMatch(/^http:\/\/127\.0\.0\.1/);
      }
      const res = await request(server).get(api('/actions')).set(as('allowed'));
      expect(res.body.map((a: any) => a.id)).not.toContain('draft-action');
      expect(res.body.map((a: any) => a.id)).not.toContain('secret-ops');
    });

    it('answers 404 for an unknown entity, 400 for an unparseable ref and 401 without login', async () => {
      const unknown = await request(server)
        .get(api('/actions?entityRef=component:default/nope'))
        .set(as('allowed'));
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.name).toBe('NotFoundError');
      const bad = await request(server).get(api('/actions?entityRef=::')).set(as('allowed'));
      expect(bad.status).toBe(400);
      expect(bad.body.error.name).toBe('InputError');
      const anonymous = await request(server).get(api('/actions'));
      expect(anonymous.status).toBe(401);
    });
  });

  describe('GET /actions/:id', () => {
    it('answers 404 alike for unknown, Draft and private actions the caller may not see', async () => {
      for (const id of ['nope', 'draft-action', 'secret-ops']) {
        const res = await request(server).get(api(`/actions/${id}`)).set(as('stranger'));
        expect(res.status).toBe(404);
        expect(res.body).toEqual({
          error: expect.objectContaining({ name: 'NotFoundError' }),
          request: expect.anything(),
          response: { statusCode: 404 },
        });
      }
      const owner = await request(server).get(api('/actions/draft-action')).set(as('owner'));
      expect(owner.status).toBe(200);
      expect(owner.body.status).toBe('Draft');
    });

    it('turns a configure8-style input list into JSON Schema', async () => {
      const res = await request(server).get(api('/actions/create-database')).set(as('allowed'));
      expect(res.body.userInputs).toEqual({
        type: 'object',
        required: ['dbName', 'sizeGb'],
        properties: {
          dbName: { type: 'string', title: 'Database name' },
          sizeGb: { type: 'number', title: 'Size', default: 10 },
          backups: { type: 'boolean', title: 'Backups' },
        },
      });
    });
  });

  describe('POST /actions/:id/runs', () => {
    it('stores the run, sends the webhook with query, headers and envelope, and keeps secrets out', async () => {
      const res = await createRun('allowed', 'restart-service', {
        entityRef: 'component:default/payments',
        inputs: { reason: 'deploy stuck', apiKey: 'super-secret-input' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        actionId: 'restart-service',
        actionName: 'Restart service',
        actionType: 'Day2',
        entityRef: 'component:default/payments',
        initiatedBy: 'user:default/jane',
        status: 'inprogress',
        inputs: { reason: 'deploy stuck', replicas: 2 },
        steps: [],
        rerunOf: null,
        canCancel: true,
        canRerun: true,
      });
      expect(res.body.inputs.apiKey).toBeUndefined();

      expect(receiver.requests).toHaveLength(1);
      const hook = receiver.requests[0];
      expect(hook.method).toBe('POST');
      expect(Object.fromEntries(hook.query)).toEqual({ fixed: '1', env: 'prod', entity: 'payments' });
      expect(hook.headers.authorization).toBe('Bearer hook-secret-value');
      expect(hook.headers['x-reason']).toBe('deploy stuck');
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['user-agent']).toMatch(/self-service-actions/);
      expect(hook.headers['x-report-url']).toMatch(/\/api\/self-service-actions\/report$/);
      expect(hook.body).toMatchObject({
        action: { id: 'restart-service', name: 'Restart service', type: 'Day2' },
        run: { id: res.body.id, reportUrl: hook.headers['x-report-url'] },
        entity: { ref: 'component:default/payments', kind: 'Component', spec: { type: 'service' } },
        user: { ref: 'user:default/jane' },
        inputs: { reason: 'deploy stuck', replicas: 2, apiKey: 'super-secret-input' },
      });
      const token = hook.body.reportToken;
      expect(token).toEqual(expect.any(String));

      const runRows = await knex('runs').where({ id: res.body.id });
      const tokenRows = await knex('run_tokens').where({ run_id: res.body.id });
      const raw = JSON.stringify([runRows, tokenRows]);
      expect(raw).not.toContain('super-secret-input');
      expect(raw).not.toContain('hook-secret-value');
      expect(raw).not.toContain(token);
      expect(tokenRows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
      expect(runRows[0].dispatch_status).toBe('delivered');
    });

    it('applies a valid report in the immediate answer', async () => {
      okAnswer = {
        status: 200,
        body: {
          status: 'complete',
          startedAt: started,
          message: 'done at once',
          steps: [{ title: 'Only step', status: 'complete', startedAt: started, logs: ['ok'] }],
        },
      };
      const res = await createRun('allowed', 'restart-service');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: 'complete',
        message: 'done at once',
        canCancel: false,
        steps: [{ title: 'Only step', status: 'complete', logs: ['ok'] }],
      });
      expect(res.body.completedAt).toEqual(expect.any(String));
    });

    it('fails the run with the status and body when the webhook answers 500', async () => {
      const res = await createRun('allowed', 'failing', { entityRef: 'component:default/payments' });
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('failed');
      expect(res.body.error).toBe('Webhook answered 500: boom: database locked');
    });

    it('stores and dispatches many runs created at once, each with its own token', async () => {
      receiver.requests.length = 0;
      const [delivered, failed] = await Promise.all([
        Promise.all(Array.from({ length: 10 }, () => createRun('allowed', 'restart-service'))),
        Promise.all(
          Array.from({ length: 4 }, () =>
            createRun('allowed', 'failing', { entityRef: 'component:default/payments' }),
          ),
        ),
      ]);
      expect([...delivered, ...failed].map(res => res.status)).toEqual(Array(14).fill(201));
      expect(failed.map(res => res.body.status)).toEqual(Array(4).fill('failed'));
      expect(delivered.map(res => res.body.status)).toEqual(Array(10).fill('inprogress'));
      const ids = delivered.map(res => res.body.id);
      expect(new Set(ids).size).toBe(10);
      // each webhook carried its own run id and a token that reports to that run only
      const hooks = receiver.requests.filter(hook => ids.includes(hook.headers['webhook-id']));
      expect(hooks).toHaveLength(10);
      await Promise.all(
        hooks.map(hook =>
          report(hook.body.reportToken ?? hook.body['c8-report-token'], {
            status: 'complete',
            startedAt: started,
            message: `done ${hook.headers['webhook-id']}`,
          }),
        ),
      );
      for (const id of ids) {
        const read = (await request(server).get(api(`/runs/${id}`)).set(as('allowed'))).body;
        expect(read).toMatchObject({ status: 'complete', message: `done ${id}` });
      }
    });

    it('fails the run when the connection is refused', async () => {
      const res = await createRun('allowed', 'refused', { entityRef: 'component:default/payments' });
      expect(res.body.status).toBe('failed');
      expect(res.body.error).toMatch(/Webhook request failed: ECONNREFUSED/);
    });

    it('fails the run on a redirect, which it does not follow', async () => {
      const res = await createRun('allowed', 'redirected', { entityRef: 'component:default/payments' });
      expect(res.body.status).toBe('failed');
      expect(res.body.error).toBe('Webhook answered 302: redirect not followed');
      expect(receiver.requests.map(r => r.path)).toEqual(['/hooks/redirect']);
    });

    it('keeps the run in progress when the receiver does not answer in time', async () => {
      const before = Date.now();
      const res = await createRun('allowed', 'slow', { entityRef: 'component:default/payments' });
      expect(Date.now() - before).toBeLessThan(1400);
      expect(res.body.status).toBe('inprogress');
      const row = await knex('runs').where({ id: res.body.id }).first();
      expect(row.dispatch_status).toBe('timed-out');
    });

    it('renders a payload template with typed values and adds the token under reportTokenKey', async () => {
      const res = await createRun('allowed', 'create-database', {
        inputs: { dbName: 'orders', sizeGb: 20 },
      });
      expect(res.status).toBe(201);
      const body = receiver.requests[0].body;
      expect(body).toEqual({
        title: 'Create orders for user:default/jane',
        size: 20,
        backups: null,
        run: res.body.id,
        unknown: '{{ nothing.here }}',
        'c8-report-token': expect.any(String),
      });
    });

    it.each<[string, Person, string, object, number, string]>([
      ['a stranger', 'stranger', 'restart-service', { entityRef: 'component:default/payments', inputs: { reason: 'x' } }, 403, 'NotAllowedError'],
      ['an invisible private action', 'stranger', 'secret-ops', { entityRef: 'component:default/payments' }, 404, 'NotFoundError'],
      ['an unknown action', 'allowed', 'nope', {}, 404, 'NotFoundError'],
      ['an unknown entity', 'allowed', 'restart-service', { entityRef: 'component:default/ghost', inputs: { reason: 'x' } }, 404, 'NotFoundError'],
      ['a Draft, by its owner', 'owner', 'draft-action', { entityRef: 'component:default/payments' }, 409, 'ConflictError'],
      ['a Draft, by others', 'allowed', 'draft-action', { entityRef: 'component:default/payments' }, 404, 'NotFoundError'],
      ['missing required input', 'allowed', 'restart-service', { entityRef: 'component:default/payments', inputs: {} }, 400, 'InputError'],
      ['an unknown input', 'allowed', 'restart-service', { entityRef: 'component:default/payments', inputs: { reason: 'x', extra: 1 } }, 400, 'InputError'],
      ['an input of the wrong type', 'allowed', 'restart-service', { entityRef: 'component:default/payments', inputs: { reason: 'x', replicas: 'many' } }, 400, 'InputError'],
      ['no entity for an entity action', 'allowed', 'restart-service', { inputs: { reason: 'x' } }, 400, 'InputError'],
      ['an entity for a global action', 'allowed', 'create-database', { entityRef: 'component:default/payments', inputs: { dbName: 'a' } }, 400, 'InputError'],
      ['an entity of another kind', 'allowed', 'failing', { entityRef: 'component:default/utils' }, 400, 'InputError'],
      ['an unparseable entity ref', 'allowed', 'restart-service', { entityRef: 'component:default/', inputs: { reason: 'x' } }, 400, 'InputError'],
      ['an unknown body field', 'allowed', 'restart-service', { entityRef: 'component:default/payments', inputs: { reason: 'x' }, sneaky: true }, 400, 'InputError'],
      ['a line break placed in a header', 'allowed', 'restart-service', { entityRef: 'component:default/payments', inputs: { reason: 'x\r\nX-Evil: 1' } }, 400, 'InputError'],
    ])('refuses %s with %p and changes nothing', async (_, person, actionId, body, status, name) => {
      const before = await tableCounts();
      const res = await createRun(person, actionId, body);
      expect(res.status).toBe(status);
      expect(res.body.error.name).toBe(name);
      expect(await tableCounts()).toEqual(before);
      expect(receiver.requests).toHaveLength(0);
    });

    it('puts input errors on their fields', async () => {
      const res = await createRun('allowed', 'restart-service', {
        entityRef: 'component:default/payments',
        inputs: { replicas: 99, extra: true },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.fieldErrors).toEqual(
        expect.arrayContaining([
          { path: 'inputs.reason', message: 'is required' },
          { path: 'inputs.replicas', message: 'must be <= 20' },
          { path: 'inputs.extra', message: 'is not a known field' },
        ]),
      );
    });

    it('answers 400 to malformed JSON and 413 to an oversized body', async () => {
      const malformed = await request(server)
        .post(api('/actions/restart-service/runs'))
        .set(as('allowed'))
        .set('content-type', 'application/json')
        .send('{"inputs": ');
      expect(malformed.status).toBe(400);
      const huge = await createRun('allowed', 'restart-service', {
        entityRef: 'component:default/payments',
        inputs: { reason: 'x'.repeat(70 * 1024) },
      });
      expect(huge.status).toBe(413);
      expect(receiver.requests).toHaveLength(0);
    });

    it('lets the entity owners run an action that allows them', async () => {
      const res = await createRun('entityOwner', 'owner-restart', {
        entityRef: 'component:default/payments',
      });
      expect(res.status).toBe(201);
      const other = await createRun('entityOwner', 'owner-restart', {
        entityRef: 'component:default/checkout',
      });
      expect(other.status).toBe(404);
    });
  });

  describe('POST /report', () => {

    it('merges steps by title, replaces logs, caps lines and completes the run', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const first = await report(token, {
        status: 'inprogress',
        startedAt: started,
        links: [{ title: 'CI job', url: 'https://ci.example.com/1' }],
        steps: [
          { title: 'Set up job', status: 'complete', startedAt: started, logs: ['a', 'b'] },
          { title: 'Restart', status: 'inprogress', startedAt: started, logs: ['1'] },
        ],
      });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ id: run.id, status: 'inprogress' });
      // configure8's header name and curl's default form content type both work
      const second = await report(
        token,
        JSON.stringify({
          status: 'complete',
          startedAt: started,
          message: 'all pods restarted',
          links: [{ title: 'CI job #1', url: 'https://ci.example.com/1' }],
          steps: [
            { title: 'Restart', status: 'complete', startedAt: started, logs: ['1', '2', '3', '4', '5'] },
            { title: 'Set up job', status: 'inprogress', startedAt: started },
            { title: 'Verify', status: 'complete', startedAt: started, logs: [] },
          ],
        }),
        'c8-report-token',
      );
      expect(second.status).toBe(200);
      const read = await request(server).get(api(`/runs/${run.id}`)).set(as('allowed'));
      expect(read.body).toMatchObject({
        status: 'complete',
        message: 'all pods restarted',
        startedAt: '2026-05-10T15:35:42.714Z',
        links: [{ title: 'CI job #1', url: 'https://ci.example.com/1' }],
        steps: [
          { title: 'Set up job', status: 'complete', logs: ['a', 'b'] },
          { title: 'Restart', status: 'complete', logs: ['3', '4', '5'] },
          { title: 'Verify', status: 'complete', logs: [] },
        ],
      });
      expect(read.body.completedAt).toEqual(expect.any(String));
    });

    it('checks token, finality, expiry and body in that order, changing nothing', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const valid = { status: 'inprogress', startedAt: started };
      const snapshot = async () => [
        await knex('runs').where({ id: run.id }).first(),
        await knex('run_steps').where({ run_id: run.id }),
      ];
      const before = await snapshot();

      expect((await report(undefined, valid)).status).toBe(401);
      expect((await report('not-a-token', valid)).status).toBe(401);
      for (const body of [
        '{"status": ',
        { status: 'weird', startedAt: started },
        { status: 'inprogress' },
        { status: 'inprogress', startedAt: 'yesterday' },
        { status: 'inprogress', startedAt: '2026-05-10T15:35:42' },
        { status: 'inprogress', startedAt: started, extra: 1 },
        `{"status":"inprogress","startedAt":"${started}","__proto__":{"admin":true}}`,
        { status: 'inprogress', startedAt: started, steps: [{ title: 'a', status: 'complete', startedAt: started }, { title: 'a', status: 'complete', startedAt: started }] },
      ]) {
        const res = await report(token, body);
        expect(res.status).toBe(400);
        expect(res.body.error.name).toBe('InputError');
      }
      expect(await snapshot()).toEqual(before);

      await knex('runs').where({ id: run.id }).update({ expires_at: new Date(Date.now() - 1000) });
      const expired = await report(token, valid);
      expect(expired.status).toBe(401);
      expect(expired.body.error.message).toBe('Report token expired');

      await knex('runs').where({ id: run.id }).update({ status: 'complete' });
      const final = await report(token, valid);
      expect(final.status).toBe(409);
      expect(final.body.error.name).toBe('ConflictError');
    });

    it('refuses a timestamp JavaScript cannot hold (a leap second) and changes nothing', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const res = await report(tokenOf(), {
        status: 'inprogress',
        startedAt: '2026-06-30T23:59:60Z',
        message: 'leap',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      const read = await request(server).get(api(`/runs/${run.id}`)).set(as('allowed'));
      expect(read.body.message).not.toBe('leap');
    });

    it('stores characters no text column can hold (NUL, a lone surrogate) as U+FFFD', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      // A reporter that writes raw bytes; JSON allows both escapes.
      const body = `{"status":"inprogress","startedAt":"${started}","message":"a\\u0000b\\ud800c",
        "steps":[{"title":"t\\udc00","status":"inprogress","startedAt":"${started}","logs":["x\\u0000"]}]}`;
      const res = await request(server)
        .post(api('/report'))
        .set('x-report-token', tokenOf())
        .set('content-type', 'application/json')
        .send(body);
      expect(res.status).toBe(200);
      const read = (await request(server).get(api(`/runs/${run.id}`)).set(as('allowed'))).body;
      expect(read.message).toBe('a\ufffdb\ufffdc');
      expect(read.steps).toEqual([expect.objectContaining({ title: 't\ufffd', logs: ['x\ufffd'] })]);
    });

    it('answers 413 to an oversized report before looking at the token', async () => {
      const res = await report('whatever', { status: 'inprogress', startedAt: started, message: 'x'.repeat(70 * 1024) });
      expect(res.status).toBe(413);
    });

    it('signals changes to those who may follow the runs, with ids and statuses only', async () => {
      const first = (await createRun('allowed', 'restart-service')).body;
      const firstToken = tokenOf();
      const second = (await createRun('allowed', 'restart-service')).body;
      const secondToken = tokenOf();
      await report(firstToken, { status: 'inprogress', startedAt: started, message: 'private detail' });
      await report(secondToken, { status: 'inprogress', startedAt: started });
      await report(firstToken, { status: 'complete', startedAt: started });
      // Changes are gathered for a moment (RunChangeAnnouncer.test.ts covers how).
      const announced = async () => {
        for (let waited = 0; waited < 5000; waited += 50) {
          const latest = new Map(
            signals.flatMap(signal => (signal.message as RunChangedSignal).runs).map(r => [r.runId, r.status]),
          );
          if (latest.get(first.id) === 'complete' && latest.get(second.id) === 'inprogress') return latest;
          await new Promise(resolve => setTimeout(resolve, 50));
        }
        throw new Error(`missing announcements in ${JSON.stringify(signals)}`);
      };
      await announced();
      const ours = signals.filter(signal =>
        (signal.message as RunChangedSignal).runs.some(r => r.runId === first.id || r.runId === second.id),
      );
      expect(ours.length).toBeGreaterThan(0);
      for (const signal of ours) {
        expect(signal).toEqual({
          recipients: {
            type: 'user',
            entityRef: ['user:default/jane', 'group:default/platform', 'group:default/sre', 'group:default/portal-admins'],
          },
          channel: 'self-service-actions:run',
          message: { runs: expect.any(Array) },
        });
        for (const run of (signal.message as RunChangedSignal).runs) {
          expect(Object.keys(run).sort()).toEqual(['runId', 'status']);
        }
      }
    });

    it('never reopens a final step and never moves a final run', async () => {
      await createRun('allowed', 'restart-service');
      const token = tokenOf();
      await report(token, {
        status: 'inprogress',
        startedAt: started,
        steps: [{ title: 'Build', status: 'failed', startedAt: started }],
      });
      await report(token, {
        status: 'failed',
        startedAt: started,
        steps: [{ title: 'Build', status: 'inprogress', startedAt: started }],
      });
      const again = await report(token, { status: 'complete', startedAt: started });
      expect(again.status).toBe(409);
      const runId = receiver.requests.at(-1)!.body.run.id;
      const read = await request(server).get(api(`/runs/${runId}`)).set(as('admin'));
      expect(read.body.status).toBe('failed');
      expect(read.body.steps).toEqual([expect.objectContaining({ title: 'Build', status: 'failed' })]);
    });

    it('keeps every step when many reports for one run arrive at once', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          report(token, {
            status: 'inprogress',
            startedAt: started,
            steps: [{ title: `step ${i}`, status: 'complete', startedAt: started, logs: [`${i}`] }],
          }),
        ),
      );
      expect(results.map(r => r.status)).toEqual(Array(20).fill(200));
      const read = await request(server).get(api(`/runs/${run.id}`)).set(as('allowed'));
      expect(read.body.steps).toHaveLength(20);
    });

    it('applies concurrent reports of many runs each to its own run only', async () => {
      const runs: Array<{ id: string; token: string }> = [];
      for (let i = 0; i < 12; i++) {
        const run = (await createRun('allowed', 'restart-service')).body;
        runs.push({ id: run.id, token: tokenOf() });
      }
      // Two reports per run, all at once: on PostgreSQL they share batched statements.
      const results = await Promise.all(
        runs.flatMap(({ token }, i) => [
          report(token, {
            status: i % 3 === 0 ? 'complete' : 'inprogress',
            startedAt: started,
            message: `run ${i}`,
            steps: [{ title: `build ${i}`, status: 'complete', startedAt: started, logs: [`built ${i}`] }],
          }),
          report(token, {
            status: 'inprogress',
            startedAt: started,
            steps: [{ title: 'test', status: 'inprogress', startedAt: started, logs: [`testing ${i}`] }],
          }),
        ]),
      );
      for (const [i, { id }] of runs.entries()) {
        const [first, second] = results.slice(2 * i, 2 * i + 2);
        expect(first.status).toBe(200);
        const read = (await request(server).get(api(`/runs/${id}`)).set(as('allowed'))).body;
        expect(read.message).toBe(`run ${i}`);
        expect(read.steps).toContainEqual(
          expect.objectContaining({ title: `build ${i}`, status: 'complete', logs: [`built ${i}`] }),
        );
        if (second.status === 200) {
          expect(read.steps).toContainEqual(
            expect.objectContaining({ title: 'test', logs: [`testing ${i}`] }),
          );
          expect(read.steps).toHaveLength(2);
        } else {
          // refused because the first report ended the run: nothing of it was kept
          expect(second.status).toBe(409);
          expect(read.steps).toHaveLength(1);
        }
        expect(read.status).toBe(i % 3 === 0 ? 'complete' : 'inprogress');
      }
    });

    it('applies concurrent reports of one run whole or not at all: own steps, a shared step, status changes, a final report', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const bodies = [
        // each adds its own step
        ...Array.from({ length: 15 }, (_, i) => ({
          status: 'inprogress',
          startedAt: started,
          steps: [{ title: `own ${i}`, status: 'complete', startedAt: started, logs: [`own ${i}`] }],
        })),
        // all update one step; one of them completes it, and a complete step never reopens
        ...Array.from({ length: 10 }, (_, i) => ({
          status: i % 2 ? 'pending-approval' : 'inprogress',
          startedAt: started,
          steps: [{ title: 'shared', status: i === 4 ? 'complete' : 'inprogress', startedAt: started, logs: [`shared ${i}`] }],
        })),
        // the final report, somewhere in the middle
        { status: 'complete', startedAt: started, message: 'all done', steps: [{ title: 'final', status: 'complete', startedAt: started }] },
        ...Array.from({ length: 10 }, (_, i) => ({
          status: 'inprogress',
          startedAt: started,
          steps: [{ title: `late ${i}`, status: 'inprogress', startedAt: started }],
        })),
      ];
      const results = await Promise.all(bodies.map(body => report(token, body)));
      // Before the final report lands every report is applied; after it, each is refused whole.
      expect(results.every(r => r.status === 200 || r.status === 409)).toBe(true);
      const accepted = bodies.filter((_, i) => results[i].status === 200);
      const finalIndex = bodies.findIndex(body => body.status === 'complete');
      expect(results[finalIndex].status).toBe(200);

      const read = (await request(server).get(api(`/runs/${run.id}`)).set(as('admin'))).body;
      expect(read.status).toBe('complete');
      expect(read.message).toBe('all done');
      const titles = read.steps.map((step: { title: string }) => step.title);
      const acceptedTitles = [...new Set(accepted.flatMap(body => body.steps.map(step => step.title)))];
      expect([...titles].sort()).toEqual([...acceptedTitles].sort());
      // Positions follow first appearance without gaps or duplicates.
      expect(new Set(titles).size).toBe(titles.length);
      const shared = read.steps.find((step: { title: string }) => step.title === 'shared');
      if (accepted.some(body => body.steps.some(step => step.title === 'shared' && step.status === 'complete'))) {
        expect(shared.status).toBe('complete');
      }
      // A refused report left no trace.
      const refusedTitles = bodies
        .filter((_, i) => results[i].status === 409)
        .flatMap(body => body.steps.map(step => step.title))
        .filter(title => !acceptedTitles.includes(title));
      for (const title of refusedTitles) {
        expect(titles).not.toContain(title);
      }
    });
  });

  describe('runs', () => {
    it('answers 404 for a run id no database can hold, without failing the reads beside it', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const [nul, cancelNul, ...reads] = await Promise.all([
        request(server).get(api('/runs/%00')).set(as('allowed')),
        request(server).post(api('/runs/a%00b/cancel')).set(as('allowed')),
        ...Array.from({ length: 5 }, () => request(server).get(api(`/runs/${run.id}`)).set(as('allowed'))),
      ]);
      expect([nul.status, cancelNul.status]).toEqual([404, 404]);
      expect(reads.map(read => read.status)).toEqual(Array(5).fill(200));
    });

    it('shows each person the runs they may see', async () => {
      await knex('run_steps').delete();
      await knex('run_tokens').delete();
      await knex('runs').delete();
      const janes = (await createRun('allowed', 'restart-service')).body;
      const eds = (await createRun('entityOwner', 'owner-restart', { entityRef: 'component:default/payments' })).body;
      const sams = (await createRun('stranger', 'failing', { entityRef: 'component:default/payments' })).body;
      const ids = async (person: Person, query = '') =>
        (await request(server).get(api(`/runs${query}`)).set(as(person))).body.items.map((r: any) => r.id);

      expect(await ids('admin')).toEqual([sams.id, eds.id, janes.id]);
      expect(await ids('owner')).toEqual([sams.id, eds.id, janes.id]);
      expect(await ids('allowed')).toEqual([janes.id]);
      expect(await ids('viewer')).toEqual([janes.id]);
      expect(await ids('entityOwner')).toEqual([eds.id]);
      expect(await ids('stranger')).toEqual([sams.id]);
      expect(await ids('admin', '?mine=true')).toEqual([]);
      expect(await ids('admin', '?status=failed')).toEqual([sams.id]);
      expect(await ids('admin', '?actionId=owner-restart')).toEqual([eds.id]);
      expect(await ids('owner', '?entityRef=component:default/payments')).toHaveLength(3);

      const page1 = await request(server).get(api('/runs?limit=2')).set(as('admin'));
      expect(page1.body.items).toHaveLength(2);
      const page2 = await request(server)
        .get(api(`/runs?limit=2&cursor=${page1.body.nextCursor}`))
        .set(as('admin'));
      expect(page2.body.items.map((r: any) => r.id)).toEqual([janes.id]);
      expect(page2.body.nextCursor).toBeUndefined();

      for (const query of ['?status=nope', '?limit=0', '?limit=1000', '?mine=maybe', '?cursor=zzz']) {
        const res = await request(server).get(api(`/runs${query}`)).set(as('admin'));
        expect(res.status).toBe(400);
      }

      const hidden = await request(server).get(api(`/runs/${janes.id}`)).set(as('stranger'));
      expect(hidden.status).toBe(404);
      const missing = await request(server).get(api('/runs/nope')).set(as('stranger'));
      expect(missing.status).toBe(404);
      expect(hidden.body.error).toEqual({ ...missing.body.error, message: expect.any(String) });
      const viewer = await request(server).get(api(`/runs/${janes.id}`)).set(as('viewer'));
      expect(viewer.status).toBe(200);
      expect(viewer.body).toMatchObject({ canCancel: false, canRerun: false });
    });

    it('lets the initiator, owners and admins cancel, but not results viewers', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const viewer = await request(server).post(api(`/runs/${run.id}/cancel`)).set(as('viewer'));
      expect(viewer.status).toBe(403);
      const stranger = await request(server).post(api(`/runs/${run.id}/cancel`)).set(as('stranger'));
      expect(stranger.status).toBe(404);
      const cancelled = await request(server).post(api(`/runs/${run.id}/cancel`)).set(as('allowed'));
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'terminated', message: 'Cancelled by user:default/jane', canCancel: false });
      const again = await request(server).post(api(`/runs/${run.id}/cancel`)).set(as('owner'));
      expect(again.status).toBe(409);
      // the receiver learns it from the 409 on its next report
      const late = await request(server)
        .post(api('/report'))
        .set('x-report-token', token)
        .send({ status: 'inprogress', startedAt: started });
      expect(late.status).toBe(409);
    });

    it('re-runs with overrides, asking for secret inputs again', async () => {
      const original = (
        await createRun('allowed', 'restart-service', {
          entityRef: 'component:default/payments',
          inputs: { reason: 'first', replicas: 3, apiKey: 'k1' },
        })
      ).body;
      const rerun = await request(server)
        .post(api(`/runs/${original.id}/rerun`))
        .set(as('allowed'))
        .send({ inputs: { reason: 'second', apiKey: 'k2' } });
      expect(rerun.status).toBe(201);
      expect(rerun.body).toMatchObject({ rerunOf: original.id, inputs: { reason: 'second', replicas: 3 } });
      expect(receiver.requests.at(-1)!.body.inputs).toEqual({ reason: 'second', replicas: 3, apiKey: 'k2' });
      expect(receiver.requests.at(-1)!.body.run.id).toBe(rerun.body.id);

      const byOwner = await request(server).post(api(`/runs/${original.id}/rerun`)).set(as('owner')).send({});
      expect(byOwner.status).toBe(201);
      expect(byOwner.body.initiatedBy).toBe('user:default/olivia');

      const byViewer = await request(server).post(api(`/runs/${original.id}/rerun`)).set(as('viewer')).send({});
      expect(byViewer.status).toBe(403);
      const byStranger = await request(server).post(api(`/runs/${original.id}/rerun`)).set(as('stranger')).send({});
      expect(byStranger.status).toBe(404);
      const badInputs = await request(server)
        .post(api(`/runs/${original.id}/rerun`))
        .set(as('allowed'))
        .send({ inputs: { replicas: 0 } });
      expect(badInputs.status).toBe(400);
    });

    it('sends the webhook of a run whose instance died before sending it, once, with a new token', async () => {
      const task = scheduler.scheduleTask.mock.calls.find(([t]) => t.id === 'self-service-actions-dispatch-pending')![0];
      const dispatchPending = task.fn as () => Promise<void>;
      const lost = (await createRun('allowed', 'restart-service')).body;
      const firstToken = tokenOf();
      const secret = (
        await createRun('allowed', 'restart-service', {
          entityRef: 'component:default/payments',
          inputs: { reason: 'with secret', apiKey: 'k' },
        })
      ).body;
      const cancelled = (await createRun('allowed', 'restart-service')).body;
      await request(server).post(api(`/runs/${cancelled.id}/cancel`)).set(as('allowed'));
      // as if their instance had died between storing them and sending their webhooks
      await knex('runs')
        .whereIn('id', [lost.id, secret.id, cancelled.id])
        .update({ dispatch_status: 'pending', dispatch_lease_until: new Date(Date.now() - 1000) });
      receiver.requests.length = 0;

      await Promise.all([dispatchPending(), dispatchPending()]);
      expect(receiver.requests.map(r => r.body.run.id)).toEqual([lost.id]);
      const resent = receiver.requests[0];
      expect(resent.headers['webhook-id']).toBe(lost.id);
      expect(resent.body.inputs).toEqual({ reason: 'stuck', replicas: 2 });
      const secondToken = resent.body.reportToken;
      expect(secondToken).not.toBe(firstToken);
      // both tokens stay valid: a receiver that ignored the repeat keeps working
      for (const token of [firstToken, secondToken]) {
        const res = await request(server)
          .post(api('/report'))
          .set('x-report-token', token)
          .send({ status: 'inprogress', startedAt: started });
        expect(res.status).toBe(200);
      }
      expect((await knex('runs').where({ id: lost.id }).first()).dispatch_attempts).toBe(2);
      const failed = await request(server).get(api(`/runs/${secret.id}`)).set(as('allowed'));
      expect(failed.body).toMatchObject({ status: 'failed', error: 'secret inputs lost before dispatch; re-run' });
      expect((await request(server).get(api(`/runs/${cancelled.id}`)).set(as('allowed'))).body.status).toBe('terminated');
      await dispatchPending();
      expect(receiver.requests).toHaveLength(1);
    });

    it('terminates runs whose token expired when the scheduled sweep runs', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      await knex('runs').where({ id: run.id }).update({ expires_at: new Date(Date.now() - 1000) });
      const task = scheduler.scheduleTask.mock.calls.find(([task]) => task.id === 'self-service-actions-expire-runs')![0];
      expect(task.id).toBe('self-service-actions-expire-runs');
      await (task.fn as () => Promise<void>)();
      const read = await request(server).get(api(`/runs/${run.id}`)).set(as('allowed'));
      expect(read.body.status).toBe('terminated');
      expect(read.body.message).toMatch(/report token expired/);
    });
  });
});
