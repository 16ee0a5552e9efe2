/*
 * Who may do what: every role against every route, through the real router on a real
 * database. What a role may not see answers 404 exactly like what does not exist.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { closedPort, TestReceiver } from '../testing/TestReceiver';
import { actionsConfig, authHeader, Person } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const api = (path: string) => `/api/self-service-actions${path}`;
const roles: Person[] = ['admin', 'owner', 'allowed', 'entityOwner', 'viewer', 'stranger'];
const payments = 'component:default/payments';

interface Ctx {
  server: any;
  /** A run of restart-service started by the allowed user (jane). */
  janesRunId: string;
  newJaneRun(): Promise<string>;
}

/** What each role gets from a route: a status, or a check of the answer. */
type Expectation = number | ((body: any, ctx: Ctx) => void);
interface Route {
  name: string;
  send(ctx: Ctx, person: Person): Promise<request.Response>;
  expect: Record<Person, Expectation>;
}

const get = (path: (ctx: Ctx) => string) => (ctx: Ctx, person: Person) =>
  request(ctx.server).get(api(path(ctx))).set('authorization', authHeader(person));
const post = (path: (ctx: Ctx) => string | Promise<string>, body: object = {}) => async (ctx: Ctx, person: Person) =>
  request(ctx.server).post(api(await path(ctx))).set('authorization', authHeader(person)).send(body);

const canRunRestart = (expected: boolean) => (body: any) =>
  expect(body.find((a: any) => a.id === 'restart-service')?.canRun).toBe(expected);
const seesJanesRun = (expected: boolean) => (body: any, ctx: Ctx) =>
  expect(body.items.some((r: any) => r.id === ctx.janesRunId)).toBe(expected);

const routes: Route[] = [
  {
    name: 'GET /actions?entityRef (restart-service canRun)',
    send: get(() => `/actions?entityRef=${payments}`),
    expect: {
      admin: canRunRestart(true),
      owner: canRunRestart(true),
      allowed: canRunRestart(true),
      entityOwner: canRunRestart(false),
      viewer: canRunRestart(false),
      stranger: canRunRestart(false),
    },
  },
  {
    name: 'GET /actions/:id of a private action',
    send: get(() => '/actions/secret-ops'),
    expect: { admin: 200, owner: 200, allowed: 404, entityOwner: 404, viewer: 404, stranger: 404 },
  },
  {
    name: 'POST /actions/:id/runs (allowedPeople: team-a)',
    send: post(() => '/actions/restart-service/runs', { entityRef: payments, inputs: { reason: 'matrix' } }),
    expect: { admin: 201, owner: 201, allowed: 201, entityOwner: 403, viewer: 403, stranger: 403 },
  },
  {
    name: 'POST /actions/:id/runs (private, allowEntityOwners)',
    send: post(() => '/actions/owner-restart/runs', { entityRef: payments }),
    expect: { admin: 201, owner: 201, allowed: 404, entityOwner: 201, viewer: 404, stranger: 404 },
  },
  {
    // results viewers, owners and admins see every run of the action; jane her own
    name: "GET /runs (jane's run listed)",
    send: get(() => '/runs?limit=100'),
    expect: {
      admin: seesJanesRun(true),
      owner: seesJanesRun(true),
      allowed: seesJanesRun(true),
      entityOwner: seesJanesRun(false),
      viewer: seesJanesRun(true),
      stranger: seesJanesRun(false),
    },
  },
  {
    name: "GET /runs/:id (jane's run)",
    send: get(ctx => `/runs/${ctx.janesRunId}`),
    expect: { admin: 200, owner: 200, allowed: 200, entityOwner: 404, viewer: 200, stranger: 404 },
  },
  {
    name: "POST /runs/:id/rerun (jane's run)",
    send: post(ctx => `/runs/${ctx.janesRunId}/rerun`),
    expect: { admin: 201, owner: 201, allowed: 201, entityOwner: 404, viewer: 403, stranger: 404 },
  },
  {
    name: "POST /runs/:id/cancel (a fresh run of jane's)",
    send: post(ctx => ctx.newJaneRun().then(id => `/runs/${id}/cancel`)),
    expect: { admin: 200, owner: 200, allowed: 200, entityOwner: 404, viewer: 403, stranger: 404 },
  },
  {
    name: 'POST /report with a login but no report token',
    send: post(() => '/report', { status: 'inprogress', startedAt: '2026-05-10T15:35:42.714Z' }),
    expect: { admin: 401, owner: 401, allowed: 401, entityOwner: 401, viewer: 401, stranger: 401 },
  },
];
describe.each(databases.eachSupportedId())('access matrix on %p', databaseId => {
  let receiver: TestReceiver;
  const ctx = {} as Ctx;

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    receiver = new TestReceiver().on('/hooks/ok', () => ({ status: 202 }));
    const receiverUrl = await receiver.start();
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: {
        admins: ['group:default/portal-admins'],
        actions: actionsConfig(receiverUrl, `http://127.0.0.1:${await closedPort()}`),
      },
    });
    ctx.server = backend.server;
    ctx.newJaneRun = async () => {
      const res = await request(ctx.server)
        .post(api('/actions/restart-service/runs'))
        .set('authorization', authHeader('allowed'))
        .send({ entityRef: payments, inputs: { reason: 'matrix' } });
      expect(res.status).toBe(201);
      return res.body.id;
    };
    ctx.janesRunId = await ctx.newJaneRun();
  });

  afterAll(() => receiver.stop());

  const cells = routes.flatMap(route => roles.map(role => [route.name, role, route] as const));

  it.each(cells)('%s as %s', async (_name, role, route) => {
    const res = await route.send(ctx, role);
    const expected = route.expect[role];
    expect(res.status).toBe(typeof expected === 'number' ? expected : 200);
    // every refusal carries Backstage's error body
    expect(res.status >= 400 ? typeof res.body.error?.name : 'string').toBe('string');
    if (typeof expected !== 'number') {
      expected(res.body, ctx);
    }
  });

  it('answers 404 for what a role may not see exactly as for what does not exist', async () => {
    const hidden = await request(ctx.server).get(api(`/runs/${ctx.janesRunId}`)).set('authorization', authHeader('stranger'));
    const missing = await request(ctx.server).get(api('/runs/00000000-0000-0000-0000-000000000000')).set('authorization', authHeader('stranger'));
    const strip = (body: any) => ({ ...body, error: { ...body.error, message: undefined }, request: undefined });
    expect(strip(hidden.body)).toEqual(strip(missing.body));
    expect(hidden.status).toBe(missing.status);
  });
});
