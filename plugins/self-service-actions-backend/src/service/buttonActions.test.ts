import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { anyoneMayRun } from '../testing/sampleAction';
import { TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });

/** Flashduty-style buttons (`completion: response`): the webhook's answer is the result. */
describe.each(databases.eachSupportedId())('webhooks with completion: response, on %p', databaseId => {
  let knex: Knex;
  let server: any;
  const receiver = new TestReceiver()
    .on('/done', () => ({ status: 200, body: { ok: true } }))
    .on('/report-shaped', () => ({ status: 200, body: { status: 'failed', startedAt: new Date().toISOString() } }))
    .on('/refuse', () => ({ status: 409, body: 'cache already flushing' }))
    .on('/slow', async () => {
      await new Promise(resolve => setTimeout(resolve, 1500));
      return { status: 200 };
    });

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    const url = await receiver.start();
    const button = (id: string, path: string) =>
      anyoneMayRun(id, {
        userInputs: { type: 'object', properties: { region: { type: 'string' } } },
        method: { type: 'Webhook', url: `${url}${path}`, completion: 'response', timeout: { milliseconds: 300 } },
      });
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: {
        actions: [
          button('flush', '/done'),
          button('shaped', '/report-shaped'),
          button('refused', '/refuse'),
          button('slow', '/slow'),
        ],
      },
    });
    server = backend.server;
  });

  afterAll(() => receiver.stop());

  async function run(actionId: string) {
    const res = await request(server)
      .post(`/api/self-service-actions/actions/${actionId}/runs`)
      .set('authorization', authHeader('allowed'))
      .send({ inputs: { region: 'eu' } });
    expect(res.status).toBe(201);
    return res.body;
  }

  it('completes the run on a 2xx answer, sending and storing no report token', async () => {
    const before = receiver.requests.length;
    const created = await run('flush');
    expect(created).toMatchObject({ status: 'complete', message: 'Webhook answered 200', error: null });
    expect(created.completedAt).toEqual(expect.any(String));
    const sent = receiver.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toEqual({
      action: { id: 'flush', name: 'flush', type: 'Day2' },
      run: { id: created.id },
      entity: null,
      user: { ref: 'user:default/jane' },
      inputs: { region: 'eu' },
    });
    expect(sent[0].headers['x-report-url']).toBeUndefined();
    expect(await knex('run_tokens').where({ run_id: created.id })).toEqual([]);
    // nothing can report to it: every token is refused
    const report = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', 'ssa_anything')
      .send({ status: 'failed', startedAt: created.startedAt });
    expect(report.status).toBe(401);
  });

  it('completes on a 2xx even when the body looks like a report (the answer is the result)', async () => {
    expect(await run('shaped')).toMatchObject({ status: 'complete' });
  });

  it('fails the run on any other answer, with the status and the body', async () => {
    expect(await run('refused')).toMatchObject({
      status: 'failed',
      error: 'Webhook answered 409: cache already flushing',
    });
  });

  it('fails the run when no answer comes within the timeout', async () => {
    expect(await run('slow')).toMatchObject({
      status: 'failed',
      error: 'Webhook did not answer within 0.3 s',
    });
  });
});
