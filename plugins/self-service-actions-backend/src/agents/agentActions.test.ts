import { TestDatabases, mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader, Person } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { anyoneMayRun } from '../testing/sampleAction';
import { TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const REGISTRY = '/api/self-service-actions/.backstage/actions/v1/actions';

/**
 * The actions offered to AI agents, called as the MCP actions backend calls them: through the
 * actions registry's HTTP route, as a user, with the real registry service.
 */
describe.each(databases.eachSupportedId())('actions for agents (actions registry), on %p', databaseId => {
  let knex: Knex;
  let server: any;
  const auditor = mockServices.auditor.mock();
  const receiver = new TestReceiver().on('/hook', req => ({
    status: 202,
    body: { got: req.body.inputs },
  }));

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    const url = await receiver.start();
    const withInputs = { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 3 } } };
    const restart = {
      ...anyoneMayRun('restart', { userInputs: withInputs, method: { type: 'Webhook', url: `${url}/hook` } }),
      allowedPeople: ['group:default/team-a'],
      appliesTo: ['Service'],
    };
    const backend = await startPluginBackend({
      knex,
      auditor,
      extraFeatures: [actionsRegistryServiceFactory],
      selfServiceActions: {
        actions: [
          restart,
          { ...anyoneMayRun('decommission', { method: { type: 'Webhook', url: `${url}/hook` } }), type: 'Delete', appliesTo: ['Service'] },
          { ...anyoneMayRun('no-agents', { method: { type: 'Webhook', url: `${url}/hook` } }), agents: { allowed: false } },
          { ...anyoneMayRun('delete-for-agents', { method: { type: 'Webhook', url: `${url}/hook` } }), type: 'Delete', agents: { allowed: true } },
          { ...anyoneMayRun('hidden', { method: { type: 'Webhook', url: `${url}/hook` } }), visibility: 'private', allowedPeople: ['group:default/sre'] },
          {
            ...anyoneMayRun('needs-approval', { method: { type: 'Webhook', url: `${url}/hook` } }),
            approval: { approvers: ['group:default/platform'] },
          },
        ],
      },
    });
    server = backend.server;
  });

  afterAll(() => receiver.stop());

  function invoke(name: string, input: object, person: Person | 'service' = 'allowed') {
    const header = person === 'service' ? mockCredentials.service.header() : authHeader(person);
    return request(server)
      .post(`${REGISTRY}/self-service-actions:${name}/invoke`)
      .set('authorization', header)
      .send(input);
  }

  it('registers list-actions, run-action and get-run with their attributes', async () => {
    const res = await request(server).get(REGISTRY).set('authorization', authHeader('allowed'));
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.actions.map((a: any) => [a.id, a]));
    expect(Object.keys(byId).sort()).toEqual([
      'self-service-actions:get-run',
      'self-service-actions:list-actions',
      'self-service-actions:run-action',
    ]);
    expect(byId['self-service-actions:list-actions'].attributes).toMatchObject({ readOnly: true, destructive: false });
    expect(byId['self-service-actions:run-action'].attributes).toMatchObject({ readOnly: false, destructive: true });
    expect(byId['self-service-actions:run-action'].schema.input.required).toEqual(['actionId']);
  });

  it('lists what the user may see, with whether agents may run each', async () => {
    const res = await invoke('list-actions', { entityRef: 'component:default/checkout' });
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.output.actions.map((a: any) => [a.id, a]));
    expect(byId.restart).toMatchObject({ canRun: true, agentsAllowed: true, type: 'Day2' });
    expect(byId.restart.userInputs.required).toEqual(['reason']);
    expect(byId.decommission).toMatchObject({ canRun: false, agentsAllowed: false });
    expect(byId.decommission.reason).toMatch(/agents/);
    expect(byId.hidden).toBeUndefined();
    // a stranger sees the action but may not run it: the REST API's reason
    const stranger = await invoke('list-actions', { entityRef: 'component:default/checkout' }, 'stranger');
    const forStranger = stranger.body.output.actions.find((a: any) => a.id === 'restart');
    expect(forStranger).toMatchObject({ canRun: false, agentsAllowed: true });
  });

  it('runs an action for the user, recorded as started through the registry', async () => {
    const before = receiver.requests.length;
    const res = await invoke('run-action', {
      actionId: 'restart',
      entityRef: 'component:default/checkout',
      inputs: { reason: 'stuck pods' },
    });
    expect(res.status).toBe(200);
    const { run } = res.body.output;
    expect(run).toMatchObject({ status: 'inprogress', url: `/self-service-actions/runs/${run.id}`, error: null });
    expect(receiver.requests.slice(before)).toHaveLength(1);
    expect(receiver.requests.at(-1)!.body.user).toEqual({ ref: 'user:default/jane' });
    // the REST API shows it as the user's run, started through the registry
    const rest = await request(server)
      .get(`/api/self-service-actions/runs/${run.id}`)
      .set('authorization', authHeader('allowed'));
    expect(rest.body).toMatchObject({ initiatedBy: 'user:default/jane', initiatedVia: 'actions-registry' });
    const row = await knex('runs').where({ id: run.id }).first();
    expect(row.initiated_via).toBe('actions-registry');
    // and the audit record says so
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'run-create',
        meta: expect.objectContaining({ actor: 'user:default/jane', initiatedVia: 'actions-registry' }),
      }),
    );
    // get-run answers it with its link
    const got = await invoke('get-run', { runId: run.id });
    expect(got.status).toBe(200);
    expect(got.body.output.run).toMatchObject({ id: run.id, actionId: 'restart', initiatedVia: 'actions-registry' });
  });

  it('records runs started through the REST API as api', async () => {
    const res = await request(server)
      .post('/api/self-service-actions/actions/restart/runs')
      .set('authorization', authHeader('allowed'))
      .send({ entityRef: 'component:default/checkout', inputs: { reason: 'by hand' } });
    expect(res.body.initiatedVia).toBe('api');
  });

  async function refusedWithoutEffect(run: () => Promise<request.Response>) {
    const before = receiver.requests.length;
    const runsBefore = await knex('runs').count({ n: '*' }).first();
    const res = await run();
    expect(receiver.requests.length).toBe(before);
    expect(await knex('runs').count({ n: '*' }).first()).toEqual(runsBefore);
    return res;
  }

  it.each([
    ['a Delete action', 'decommission', 'component:default/checkout'],
    ['an action with agents.allowed false', 'no-agents', undefined],
  ])('refuses %s to agents with 403, sending nothing', async (_what, actionId, entityRef) => {
    const res = await refusedWithoutEffect(() =>
      invoke('run-action', { actionId, ...(entityRef ? { entityRef } : {}), inputs: {} }),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe('This action does not allow runs by agents (agents.allowed)');
  });

  it.each([
    ['an action the user cannot see', 'hidden', undefined, 'allowed', 404],
    ['an unknown action', 'nope', undefined, 'allowed', 404],
    ['an action the user may not run', 'restart', 'component:default/checkout', 'stranger', 403],
  ] as const)('refuses %s with the REST API\'s answer, sending nothing', async (_what, actionId, entityRef, person, status) => {
    const target = entityRef ? { entityRef } : {};
    const res = await refusedWithoutEffect(() => invoke('run-action', { actionId, ...target, inputs: { reason: 'xyz' } }, person));
    const rest = await refusedWithoutEffect(() =>
      request(server)
        .post(`/api/self-service-actions/actions/${actionId}/runs`)
        .set('authorization', authHeader(person))
        .send({ ...target, inputs: { reason: 'xyz' } }),
    );
    expect([res.status, rest.status]).toEqual([status, status]);
    expect(res.body.error.message).toBe(rest.body.error.message);
  });

  it('lets a Delete action that allows agents run', async () => {
    const res = await invoke('run-action', { actionId: 'delete-for-agents' });
    expect(res.status).toBe(200);
    expect(res.body.output.run.status).toBe('inprogress');
  });

  it('answers invalid inputs with the fields, like the REST API', async () => {
    const res = await invoke('run-action', {
      actionId: 'restart',
      entityRef: 'component:default/checkout',
      inputs: { reason: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
  });

  it('keeps a run that needs approval waiting for people', async () => {
    const before = receiver.requests.length;
    const res = await invoke('run-action', { actionId: 'needs-approval' });
    expect(res.status).toBe(200);
    expect(res.body.output.run.status).toBe('pending-approval');
    expect(receiver.requests.length).toBe(before);
  });

  it('refuses callers that are not users, and runs the user may not read', async () => {
    const service = await invoke('list-actions', {}, 'service');
    expect(service.status).toBe(403);
    const { body } = await invoke('run-action', { actionId: 'restart', entityRef: 'component:default/checkout', inputs: { reason: 'mine' } });
    const other = await invoke('get-run', { runId: body.output.run.id }, 'stranger');
    expect(other.status).toBe(404);
    const unknown = await invoke('get-run', { runId: 'no-such-run' });
    expect(unknown.status).toBe(404);
    expect(other.body.error.message).toBe(unknown.body.error.message.replace('no-such-run', body.output.run.id));
  });

  it('gives an agent at most the last 50 log lines of a step', async () => {
    const { body } = await invoke('run-action', { actionId: 'restart', entityRef: 'component:default/checkout', inputs: { reason: 'logs' } });
    const token = receiver.requests.at(-1)!.body.reportToken as string;
    const logs = Array.from({ length: 120 }, (_, i) => `line ${i}`);
    const startedAt = new Date().toISOString();
    const report = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', token)
      .send({ status: 'inprogress', startedAt, steps: [{ title: 'Build', status: 'inprogress', startedAt, logs }] });
    expect(report.status).toBe(200);
    const got = await invoke('get-run', { runId: body.output.run.id });
    expect(got.body.output.run.steps[0].logs).toEqual(logs.slice(-50));
    expect(got.body.output.run.steps[0].logCount).toBe(120);
  });
});
