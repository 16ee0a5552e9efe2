import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  NotificationSendOptions,
  notificationService,
} from '@backstage/plugin-notifications-node';
import { AuthorizeResult, PolicyDecision } from '@backstage/plugin-permission-common';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader, Person } from '../testing/fixtures';
import { policyPermissions, startPluginBackend } from '../testing/testBackend';
import { TestReceiver } from '../testing/TestReceiver';
import { approvalActions } from '../testing/approvalActions';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const started = '2026-05-10T15:35:42.714+00:00';

describe.each(databases.eachSupportedId())('approvals on %p', databaseId => {
  let knex: Knex;
  let server: any;
  let scheduler: ReturnType<typeof mockServices.scheduler.mock>;
  const receiver = new TestReceiver().on('/hooks/ok', () => ({ status: 202 }));
  const sent: NotificationSendOptions[] = [];
  let policy: (name: string) => PolicyDecision = () => ({ result: AuthorizeResult.ALLOW });

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    const receiverUrl = await receiver.start();
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: {
        admins: ['group:default/portal-admins'],
        actions: approvalActions(receiverUrl),
      },
      permissions: policyPermissions(name => policy(name)),
      extraFeatures: [
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({ send: async (options: NotificationSendOptions) => void sent.push(options) }),
        }),
      ],
    });
    server = backend.server;
    scheduler = backend.scheduler;
  });

  afterAll(() => receiver.stop());

  beforeEach(() => {
    receiver.requests.length = 0;
    sent.length = 0;
    policy = () => ({ result: AuthorizeResult.ALLOW });
  });

  const api = (path: string) => `/api/self-service-actions${path}`;
  const as = (person: Person) => ({ authorization: authHeader(person) });
  const createRun = (actionId: string, person: Person = 'allowed') =>
    request(server)
      .post(api(`/actions/${actionId}/runs`))
      .set(as(person))
      .send({ entityRef: 'component:default/payments', inputs: { reason: 'region down' } });
  const decide = (runId: string, person: Person, verb: 'approve' | 'reject', body?: object) => {
    const req = request(server).post(api(`/runs/${runId}/${verb}`)).set(as(person));
    return body ? req.send(body) : req;
  };
  const runRow = (id: string) => knex('runs').where({ id }).first();
  const tokenCount = async (runId: string) =>
    Number((await knex('run_tokens').where({ run_id: runId }).count({ n: '*' }))[0].n);

  it('holds the run: pending approval, nothing sent, no token, the approvers told', async () => {
    const res = await createRun('failover');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'pending-approval',
      startedAt: null,
      approval: {
        required: 2,
        approvers: ['group:default/sre', 'user:default/olivia'],
        allowSelfApproval: false,
        decisions: [],
        canDecide: false,
      },
    });
    expect(receiver.requests).toHaveLength(0);
    expect(await tokenCount(res.body.id)).toBe(0);
    expect(await runRow(res.body.id)).toMatchObject({ dispatch_status: 'held' });
    expect(sent).toEqual([
      {
        recipients: {
          type: 'entity',
          entityRef: ['group:default/sre', 'user:default/olivia'],
          excludeEntityRef: 'user:default/jane',
        },
        payload: expect.objectContaining({
          title: 'Approval requested: Failover region',
          link: `/self-service-actions/runs/${res.body.id}`,
        }),
      },
    ]);
    // Approvers read the run held for them and may decide; the initiator may not.
    const asApprover = await request(server).get(api(`/runs/${res.body.id}`)).set(as('viewer'));
    expect(asApprover.status).toBe(200);
    expect(asApprover.body.approval.canDecide).toBe(true);
  });

  it('answers 404, 403, 409 and 400 in that order, each changing nothing', async () => {
    const { id } = (await createRun('failover')).body;
    const before = await runRow(id);
    // 404: the caller may not read the run (a stranger), nor a run that does not exist.
    expect((await decide(id, 'stranger', 'approve')).status).toBe(404);
    expect((await decide('no-such-run', 'viewer', 'approve')).status).toBe(404);
    // 403: ed sees every run of the action but is no approver; jane started it.
    const notApprover = await decide(id, 'entityOwner', 'approve');
    expect(notApprover.status).toBe(403);
    expect(notApprover.body.error.message).toBe('Only the approvers of this action and admins may decide');
    expect((await decide(id, 'allowed', 'approve')).status).toBe(403);
    // olivia approves runs of this action, but not a run she started herself.
    const hers = (await createRun('failover', 'owner')).body.id;
    const own = await decide(hers, 'owner', 'reject', { comment: 'no' });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toBe('You may not decide on your own run');
    // A policy may narrow who decides.
    policy = name =>
      name === 'self-service-actions.run.decide'
        ? { result: AuthorizeResult.DENY }
        : { result: AuthorizeResult.ALLOW };
    expect((await decide(id, 'viewer', 'approve')).status).toBe(403);
    policy = () => ({ result: AuthorizeResult.ALLOW });
    // 400: a rejection says why.
    const bare = await decide(id, 'viewer', 'reject', {});
    expect(bare.status).toBe(400);
    expect(bare.body.error.message).toBe('A rejection needs a comment saying why');
    expect((await decide(id, 'viewer', 'reject', { comment: '   ' })).status).toBe(400);
    expect((await decide(id, 'viewer', 'approve', { verdict: 'yes' })).status).toBe(400);
    expect(await runRow(id)).toEqual(before);

    const first = await decide(id, 'viewer', 'approve', { comment: 'looks right' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'pending-approval',
      approval: {
        decisions: [{ by: 'user:default/vic', decision: 'approved', comment: 'looks right' }],
        canDecide: false,
      },
    });
    // 409 before 400: vic already decided, so a bare rejection is a conflict.
    const again = await decide(id, 'viewer', 'reject', {});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(`You already decided on run ${id}`);
    expect(receiver.requests).toHaveLength(0);
  });

  it('sends the run once the approvals are in, with a token that reports, and tells the initiator', async () => {
    const { id } = (await createRun('failover')).body;
    await decide(id, 'viewer', 'approve');
    expect(receiver.requests).toHaveLength(0);
    sent.length = 0;
    const last = await decide(id, 'owner', 'approve');
    expect(last.status).toBe(200);
    expect(last.body).toMatchObject({ status: 'inprogress', approval: { canDecide: false } });
    expect(last.body.approval.decisions.map((d: any) => d.by)).toEqual([
      'user:default/vic',
      'user:default/olivia',
    ]);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].headers['webhook-id']).toBe(id);
    expect(await tokenCount(id)).toBe(1);
    const row = await runRow(id);
    expect(row).toMatchObject({ status: 'inprogress', dispatch_status: 'delivered' });

    const report = await request(server)
      .post(api('/report'))
      .set('x-report-token', receiver.requests[0].body.reportToken)
      .send({ status: 'complete', startedAt: started });
    expect(report.body).toEqual({ id, status: 'complete' });
    expect(sent.map(n => [n.recipients, n.payload.title])).toEqual([
      [{ type: 'entity', entityRef: ['user:default/jane'] }, 'Approved: Failover region'],
      [{ type: 'entity', entityRef: ['user:default/jane'] }, 'Failover region: complete'],
    ]);
    // Released: no more decisions.
    const late = await decide(id, 'admin', 'approve');
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/is not waiting for approval/);
  });

  it('rejects on one rejection, sends nothing, and tells the initiator why', async () => {
    const { id } = (await createRun('failover')).body;
    const res = await decide(id, 'admin', 'reject', { comment: 'not during the freeze' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'rejected',
      message: 'Rejected by user:default/ada: not during the freeze',
      canCancel: false,
    });
    expect(res.body.completedAt).not.toBeNull();
    expect(receiver.requests).toHaveLength(0);
    expect(await tokenCount(id)).toBe(0);
    expect(sent.at(-1)).toMatchObject({
      recipients: { entityRef: ['user:default/jane'] },
      payload: { title: 'Rejected: Failover region', description: 'Rejected by user:default/ada: not during the freeze' },
    });
    expect((await decide(id, 'viewer', 'approve')).status).toBe(409);
  });

  it('lets the initiator approve their own run when the action allows it', async () => {
    const res = await createRun('self-approved');
    expect(res.body.approval.canDecide).toBe(true);
    const approved = await decide(res.body.id, 'allowed', 'approve');
    expect(approved.body.status).toBe('inprogress');
    expect(receiver.requests).toHaveLength(1);
  });

  it('lists the runs awaiting my decision, and only those', async () => {
    await knex('run_steps').delete();
    await knex('run_tokens').delete();
    await knex('runs').delete();
    const a = (await createRun('failover')).body.id;
    const b = (await createRun('quick')).body.id;
    const c = (await createRun('self-approved')).body.id;
    await decide(a, 'viewer', 'approve');
    const awaiting = async (person: Person) =>
      (
        await request(server).get(api('/runs?awaitingMyDecision=true')).set(as(person))
      ).body.items.map((run: any) => run.id);
    expect(await awaiting('viewer')).toEqual([b]);
    expect(await awaiting('owner')).toEqual([b, a]);
    expect(await awaiting('allowed')).toEqual([c]);
    expect(await awaiting('admin')).toEqual([c, b, a]);
    expect(await awaiting('stranger')).toEqual([]);
    expect(await awaiting('entityOwner')).toEqual([]);
    // Approvers see the held runs in the plain list too; others do not.
    const listed = async (person: Person) =>
      (await request(server).get(api('/runs')).set(as(person))).body.items.map((run: any) => run.id);
    expect(await listed('viewer')).toEqual(expect.arrayContaining([a, b]));
    expect(await listed('stranger')).toEqual([]);
  });

  it('rejects a run whose approval expired when the sweep runs, and tells the initiator', async () => {
    const { id } = (await createRun('short-wait')).body;
    const held = (await createRun('quick')).body.id;
    await new Promise(resolve => setTimeout(resolve, 5));
    sent.length = 0;
    const task = scheduler.scheduleTask.mock.calls.find(([t]) => t.id === 'self-service-actions-expire-runs')![0];
    await task.fn({} as any);
    const read = await request(server).get(api(`/runs/${id}`)).set(as('allowed'));
    expect(read.body).toMatchObject({ status: 'rejected', message: 'Rejected: approval expired' });
    expect((await runRow(held)).status).toBe('pending-approval');
    expect(sent).toEqual([
      expect.objectContaining({
        recipients: { type: 'entity', entityRef: ['user:default/jane'] },
        payload: expect.objectContaining({ title: 'Short wait: rejected' }),
      }),
    ]);
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('approval config', () => {
  it('refuses at start-up an action that needs approval and takes secret inputs, naming it', async () => {
    const knex = await databases.init('SQLITE_3');
    const [action] = approvalActions('http://127.0.0.1:9');
    await expect(
      startPluginBackend({
        knex,
        selfServiceActions: {
          actions: [
            {
              ...action,
              userInputs: { type: 'object', properties: { password: { type: 'string', secret: true } } },
            },
          ],
        },
      }),
    ).rejects.toThrow(
      'Invalid self-service action "failover": selfServiceActions.actions field "approval" cannot be combined with secret inputs (password)',
    );
    await expect(
      startPluginBackend({
        knex,
        selfServiceActions: { actions: [{ ...action, approval: { approvers: [] } }] },
      }),
    ).rejects.toThrow('field "approval.approvers" must be a non-empty list of user or group refs');
    await expect(
      startPluginBackend({
        knex,
        selfServiceActions: { actions: [{ ...action, approval: { approvers: ['sre'], required: 0 } }] },
      }),
    ).rejects.toThrow('field "approval.required" must be a positive integer');
  });
});
