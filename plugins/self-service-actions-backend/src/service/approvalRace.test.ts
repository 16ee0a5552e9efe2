import { TestDatabases } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { authHeader, Person } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { TestReceiver } from '../testing/TestReceiver';
import { approvalActions } from '../testing/approvalActions';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_16'] });
const ROUNDS = 15;

/**
 * Two instances of the plugin (each with its own connection pool) on one PostgreSQL database:
 * the last approvals of a run arrive on both at the same moment.
 */
describe.each(databases.eachSupportedId())('approval races across two instances on %p', databaseId => {
  let first: Knex;
  let second: Knex;
  let servers: any[];
  const stops: Array<() => Promise<void>> = [];
  const receiver = new TestReceiver().on('/hooks/ok', async () => {
    // Answer a little late, so a second sender would overlap the first.
    await new Promise(resolve => setTimeout(resolve, 20));
    return { status: 202 };
  });

  beforeAll(async () => {
    first = await databases.init(databaseId);
    second = knexFactory({ client: 'pg', connection: first.client.config.connection });
    const receiverUrl = await receiver.start();
    const config = { admins: ['group:default/portal-admins'], actions: approvalActions(receiverUrl) };
    servers = [];
    for (const knex of [first, second]) {
      const backend = await startPluginBackend({ knex, selfServiceActions: config });
      servers.push(backend.server);
      stops.push(() => backend.stop());
    }
  });

  afterAll(async () => {
    for (const stop of stops) await stop();
    await second.destroy();
    await receiver.stop();
  });

  const decide = (instance: number, runId: string, person: Person, verb: 'approve' | 'reject') =>
    request(servers[instance])
      .post(`/api/self-service-actions/runs/${runId}/${verb}`)
      .set('authorization', authHeader(person))
      .send(verb === 'reject' ? { comment: 'no' } : {});
  const createRun = async (actionId: string) => {
    const res = await request(servers[0])
      .post(`/api/self-service-actions/actions/${actionId}/runs`)
      .set('authorization', authHeader('allowed'))
      .send({ entityRef: 'component:default/payments', inputs: { reason: 'race' } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const deliveries = (runId: string) =>
    receiver.requests.filter(hook => hook.headers['webhook-id'] === runId).length;

  it('sends a run exactly once when its last two approvals arrive at once on two instances', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // Either approval alone would release this run.
      const quick = await createRun('quick');
      const answers = await Promise.all([
        decide(0, quick, 'viewer', 'approve'),
        decide(1, quick, 'owner', 'approve'),
      ]);
      expect(answers.map(a => a.status).sort()).toEqual([200, 409]);
      expect(deliveries(quick)).toBe(1);

      // Two approvals needed: one in, the second and a third at once.
      const failover = await createRun('failover');
      expect((await decide(0, failover, 'viewer', 'approve')).status).toBe(200);
      const last = await Promise.all([
        decide(0, failover, 'owner', 'approve'),
        decide(1, failover, 'admin', 'approve'),
      ]);
      expect(last.map(a => a.status).sort()).toEqual([200, 409]);
      expect(deliveries(failover)).toBe(1);
      const row = await first('runs').where({ id: failover }).first();
      expect(row.status).toBe('inprogress');
      expect(JSON.parse(row.approval).decisions).toHaveLength(2);
    }
  });

  it('leaves one consistent outcome when a rejection races the last approval', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const runId = await createRun('failover');
      await decide(0, runId, 'viewer', 'approve');
      const [approval, rejection] = await Promise.all([
        decide(0, runId, 'owner', 'approve'),
        decide(1, runId, 'admin', 'reject'),
      ]);
      expect([approval.status, rejection.status].sort()).toEqual([200, 409]);
      const row = await first('runs').where({ id: runId }).first();
      const decisions = JSON.parse(row.approval).decisions.map((d: any) => d.decision);
      // Whichever won, the run is whole: released and sent once, or rejected and never sent.
      const approved = approval.status === 200;
      expect({ status: row.status, decisions, deliveries: deliveries(runId) }).toEqual(
        approved
          ? { status: 'inprogress', decisions: ['approved', 'approved'], deliveries: 1 }
          : { status: 'rejected', decisions: ['approved', 'rejected'], deliveries: 0 },
      );
      outcomes.add(row.status);
    }
    // Either outcome is consistent; which one won does not matter.
    expect([...outcomes].every(status => ['inprogress', 'rejected'].includes(status))).toBe(true);
  });
});
