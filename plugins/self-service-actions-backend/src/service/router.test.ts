import { TestDatabases } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { Person } from '../testing/fixtures';
import { started, useRouterHarness } from '../testing/routerHarness';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });

describe.each(databases.eachSupportedId())('router on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases);
  const { api, as, createRun, report, tableCounts } = h;

  describe('GET /actions', () => {
    it('lists the actions that apply to the entity with canRun and no secrets', async () => {
      const res = await request(h.server)
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
      const ed = await request(h.server)
        .get(api('/actions?entityRef=component:default/payments'))
        .set(as('entityOwner'));
      const byId = Object.fromEntries(ed.body.map((a: any) => [a.id, a]));
      expect(byId['owner-restart'].canRun).toBe(true);
      expect(byId['restart-service']).toMatchObject({ canRun: false });
      expect(byId['restart-service'].reason).toMatch(/allowed people/);
      const stranger = await request(h.server)
        .get(api('/actions?entityRef=component:default/payments'))
        .set(as('stranger'));
      expect(stranger.body.map((a: any) => a.id)).not.toContain('owner-restart');
    });

    it('shows owners and admins the Draft and private actions with their URL', async () => {
      for (const person of ['owner', 'admin'] as const) {
        const res = await request(h.server).get(api('/actions')).set(as(person));
        const ids = res.body.map((a: any) => a.id);
        expect(ids).toEqual(expect.arrayContaining(['draft-action', 'secret-ops', 'owner-restart']));
        expect(res.body[0].method.url).toMatch(/^http:\/\/127\.0\.0\.1/);
      }
      const res = await request(h.server).get(api('/actions')).set(as('allowed'));
      expect(res.body.map((a: any) => a.id)).not.toContain('draft-action');
      expect(res.body.map((a: any) => a.id)).not.toContain('secret-ops');
    });

    it('answers 404 for an unknown entity, 400 for an unparseable ref and 401 without login', async () => {
      const unknown = await request(h.server)
        .get(api('/actions?entityRef=component:default/nope'))
        .set(as('allowed'));
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.name).toBe('NotFoundError');
      const bad = await request(h.server).get(api('/actions?entityRef=::')).set(as('allowed'));
      expect(bad.status).toBe(400);
      expect(bad.body.error.name).toBe('InputError');
      const anonymous = await request(h.server).get(api('/actions'));
      expect(anonymous.status).toBe(401);
    });
  });

  describe('GET /actions/:id', () => {
    it('answers 404 alike for unknown, Draft and private actions the caller may not see', async () => {
      for (const id of ['nope', 'draft-action', 'secret-ops']) {
        const res = await request(h.server).get(api(`/actions/${id}`)).set(as('stranger'));
        expect(res.status).toBe(404);
        expect(res.body).toEqual({
          error: expect.objectContaining({ name: 'NotFoundError' }),
          request: expect.anything(),
          response: { statusCode: 404 },
        });
      }
      const owner = await request(h.server).get(api('/actions/draft-action')).set(as('owner'));
      expect(owner.status).toBe(200);
      expect(owner.body.status).toBe('Draft');
    });

    it('turns a configure8-style input list into JSON Schema', async () => {
      const res = await request(h.server).get(api('/actions/create-database')).set(as('allowed'));
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

      expect(h.receiver.requests).toHaveLength(1);
      const hook = h.receiver.requests[0];
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

      const runRows = await h.knex('runs').where({ id: res.body.id });
      const tokenRows = await h.knex('run_tokens').where({ run_id: res.body.id });
      const raw = JSON.stringify([runRows, tokenRows]);
      expect(raw).not.toContain('super-secret-input');
      expect(raw).not.toContain('hook-secret-value');
      expect(raw).not.toContain(token);
      expect(tokenRows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
      expect(runRows[0].dispatch_status).toBe('delivered');
    });

    it('applies a valid report in the immediate answer', async () => {
      h.okAnswer = {
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
      h.receiver.requests.length = 0;
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
      const hooks = h.receiver.requests.filter(hook => ids.includes(hook.headers['webhook-id']));
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
        const read = (await request(h.server).get(api(`/runs/${id}`)).set(as('allowed'))).body;
        expect(read).toMatchObject({ status: 'complete', message: `done ${id}` });
      }
    });

    it('fails the run when the connection is refused, naming the address only to those who see the URL', async () => {
      const res = await createRun('allowed', 'refused', { entityRef: 'component:default/payments' });
      expect(res.body.status).toBe('failed');
      // jane may run the action but not see where it sends: no address, no port
      expect(res.body.error).toBe('The webhook could not be reached');
      for (const person of ['owner', 'admin'] as const) {
        const read = await request(h.server).get(api(`/runs/${res.body.id}`)).set(as(person));
        expect(read.body.error).toMatch(/^The webhook could not be reached: .*ECONNREFUSED 127\.0\.0\.1:\d+/);
      }
      const jane = await request(h.server).get(api(`/runs/${res.body.id}`)).set(as('allowed'));
      expect(jane.body.error).toBe('The webhook could not be reached');
    });

    it('fails the run on a redirect, which it does not follow', async () => {
      const res = await createRun('allowed', 'redirected', { entityRef: 'component:default/payments' });
      expect(res.body.status).toBe('failed');
      expect(res.body.error).toBe('Webhook answered 302: redirect not followed');
      expect(h.receiver.requests.map(r => r.path)).toEqual(['/hooks/redirect']);
    });

    it('keeps the run in progress when the receiver does not answer in time', async () => {
      const before = Date.now();
      const res = await createRun('allowed', 'slow', { entityRef: 'component:default/payments' });
      expect(Date.now() - before).toBeLessThan(1400);
      expect(res.body.status).toBe('inprogress');
      const row = await h.knex('runs').where({ id: res.body.id }).first();
      expect(row.dispatch_status).toBe('timed-out');
    });

    it('renders a payload template with typed values and adds the token under reportTokenKey', async () => {
      const res = await createRun('allowed', 'create-database', {
        inputs: { dbName: 'orders', sizeGb: 20 },
      });
      expect(res.status).toBe(201);
      const body = h.receiver.requests[0].body;
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
      expect(h.receiver.requests).toHaveLength(0);
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
      const malformed = await request(h.server)
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
      expect(h.receiver.requests).toHaveLength(0);
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
});
