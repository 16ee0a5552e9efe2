import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { anyoneMayRun } from '../testing/sampleAction';
import { ReceivedRequest, TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const HEADER_SECRET = 'Bearer hook-credential-9f8e7d';
const SIGNING_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const SECRET_INPUT = 'p@ss "word" / 42';
const started = '2026-05-10T15:35:42.714+00:00';

/** Everything the receiver got, as it might quote it back: body, headers, the URL. */
function echo(req: ReceivedRequest): string {
  return JSON.stringify({ youSent: req.body, headers: req.headers, query: req.query.toString() });
}

describe.each(databases.eachSupportedId())('receivers that echo what they got, on %p', databaseId => {
  let knex: Knex;
  let server: any;
  const receiver = new TestReceiver()
    .on('/refuse', req => ({ status: 422, body: `validation failed: ${echo(req)}` }))
    .on('/report-echo', req => ({
      status: 200,
      body: {
        status: 'inprogress',
        startedAt: started,
        message: `got token ${req.body.reportToken}`,
        steps: [{ title: 'Echo', status: 'inprogress', startedAt: started, logs: [echo(req)] }],
      },
    }));

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    const url = await receiver.start();
    const action = (id: string, path: string) =>
      anyoneMayRun(id, {
        userInputs: {
          type: 'object',
          properties: { password: { type: 'string', secret: true }, note: { type: 'string' } },
        },
        method: {
          type: 'Webhook',
          url: `${url}${path}`,
          headers: { Authorization: HEADER_SECRET },
          signingSecret: SIGNING_SECRET,
        },
      });
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: { actions: [action('refusing', '/refuse'), action('echoing', '/report-echo')] },
    });
    server = backend.server;
  });

  afterAll(() => receiver.stop());

  async function run(actionId: string) {
    const res = await request(server)
      .post(`/api/self-service-actions/actions/${actionId}/runs`)
      .set('authorization', authHeader('allowed'))
      .send({ inputs: { password: SECRET_INPUT, note: 'hello' } });
    const token = receiver.requests.at(-1)!.body.reportToken as string;
    return { res, token };
  }

  async function everythingStored(runId: string): Promise<string> {
    const rows = [
      ...(await knex('runs').where({ id: runId })),
      ...(await knex('run_steps').where({ run_id: runId })),
    ];
    return JSON.stringify(rows);
  }

  function expectNoSecret(text: string, token: string) {
    for (const secret of [token, SECRET_INPUT, JSON.stringify(SECRET_INPUT).slice(1, -1), HEADER_SECRET, SIGNING_SECRET]) {
      expect(text).not.toContain(secret);
    }
  }

  it('keeps a refusal that quotes the request, with every secret replaced by ***', async () => {
    const { res, token } = await run('refusing');
    expect(res.body.status).toBe('failed');
    expect(res.body.error).toMatch(/^Webhook answered 422: validation failed: /);
    expect(res.body.error).toContain('***');
    expect(res.body.error).toContain('hello');
    expectNoSecret(JSON.stringify(res.body), token);
    expectNoSecret(await everythingStored(res.body.id), token);
    const read = await request(server)
      .get(`/api/self-service-actions/runs/${res.body.id}`)
      .set('authorization', authHeader('allowed'));
    expectNoSecret(JSON.stringify(read.body), token);
  });

  it('applies an answer that is a report echoing the request, with every secret replaced by ***', async () => {
    const { res, token } = await run('echoing');
    expect(res.body).toMatchObject({ status: 'inprogress', message: 'got token ***' });
    expect(res.body.steps[0].logs[0]).toContain('hello');
    expectNoSecret(JSON.stringify(res.body), token);
    expectNoSecret(await everythingStored(res.body.id), token);
  });

  it('stores no report token that a reporter logs', async () => {
    const { res, token } = await run('echoing');
    const reported = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', token)
      .send({
        status: 'complete',
        startedAt: started,
        steps: [{ title: 'Debug', status: 'complete', startedAt: started, logs: [`token=${token}`] }],
      });
    expect(reported.status).toBe(200);
    const stored = await everythingStored(res.body.id);
    expect(stored).toContain('token=***');
    expectNoSecret(stored, token);
  });
});
