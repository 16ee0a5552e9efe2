import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const started = '2026-05-10T15:35:42.714+00:00';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Hostile values in places the hostile-input suite did not reach: tampered cursors and
 * filters, values placed in a URL path or a header, timestamps a database cannot hold, and
 * report tokens that cannot be ours. Each answers 4xx and changes nothing.
 */
describe.each(databases.eachSupportedId())('hostile peers on %p', databaseId => {
  let knex: Knex;
  let server: any;
  const receiver = new TestReceiver()
    .on('/hooks/ok', () => ({ status: 202 }))
    .on('/hooks/nul', () => ({ status: 400, body: 'bad\u0000input \ud800 here' }));

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    const url = await receiver.start();
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: {
        actions: [
          {
            id: 'templated',
            name: 'Templated',
            type: 'Day2',
            icon: 'restart',
            status: 'Active',
            owner: 'group:default/platform',
            allowedPeople: ['*'],
            userInputs: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                label: { type: 'string' },
                free: { type: 'string' },
              },
            },
            method: {
              type: 'Webhook',
              url: `${url}/hooks/{{ name }}?q={{ name }}`,
              headers: { 'X-Label': '{{ label }}' },
            },
          },
          {
            id: 'nul-answer',
            name: 'NUL answer',
            type: 'Day2',
            icon: 'restart',
            status: 'Active',
            owner: 'group:default/platform',
            allowedPeople: ['*'],
            method: { type: 'Webhook', url: `${url}/hooks/nul` },
          },
        ],
      },
    });
    server = backend.server;
  });

  afterAll(() => receiver.stop());

  const counts = async () => ({
    runs: Number((await knex('runs').count({ n: '*' }))[0].n),
    sent: receiver.requests.length,
  });
  const createRun = (inputs: object) =>
    request(server)
      .post('/api/self-service-actions/actions/templated/runs')
      .set('authorization', authHeader('allowed'))
      .send({ inputs });
  const listRuns = (query: string) =>
    request(server).get(`/api/self-service-actions/runs?${query}`).set('authorization', authHeader('allowed'));

  it.each([
    ['a cursor whose id holds NUL', `cursor=${cursorOf([Date.now(), 'a\u0000b'])}`],
    ['a cursor with a time no date can hold', `cursor=${cursorOf([1e20, 'x'])}`],
    ['a cursor with a negative time before year 1', `cursor=${cursorOf([-62200000000000, 'x'])}`],
    ['a cursor that is not JSON', 'cursor=bm90IGpzb24'],
    ['a cursor of the wrong shape', `cursor=${cursorOf({ at: 1 })}`],
    ['a NUL in the action filter', 'actionId=a%00b'],
    ['a NUL in the entity filter', 'entityRef=component:default/a%00b'],
  ])('answers 400 to %s', async (_what, query) => {
    const res = await listRuns(query);
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
  });

  it.each([
    ['..', /cannot be placed in the webhook URL's path/],
    ['.', /cannot be placed in the webhook URL's path/],
    ['a/b', /cannot be placed in the webhook URL's path/],
    ['..%2F..', /cannot be placed in the webhook URL's path/],
  ])('refuses %p placed in the URL path, naming the input, storing and sending nothing', async (name, message) => {
    const before = await counts();
    const res = await createRun({ name });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(res.body.error.message).toContain('name');
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['a control character', 'a\u0007b'],
    ['a character beyond Latin-1', 'snow ☃'],
    ['a NUL', 'a\u0000b'],
  ])('refuses %s placed in a header before storing anything', async (_what, label) => {
    const before = await counts();
    const res = await createRun({ name: 'ok', label });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/header/);
    expect(await counts()).toEqual(before);
  });

  it('still sends a value that is only unusual: spaces, dots inside a name, query characters', async () => {
    const res = await createRun({ name: 'v1.2 & more', label: 'plain label' });
    expect(res.status).toBe(201);
    const hook = receiver.requests.at(-1)!;
    expect(hook.path).toBe('/hooks/v1.2%20%26%20more');
    expect(hook.query.get('q')).toBe('v1.2 & more');
    expect(hook.headers['x-label']).toBe('plain label');
  });

  it.each([
    ['year 0', '0000-06-01T00:00:00Z'],
    ['year 1 that is year 0 in UTC', '0001-01-01T00:30:00+01:00'],
    ['year 9999 that is year 10000 in UTC', '9999-12-31T23:30:00-01:00'],
  ])('refuses a report timestamp in %s with 400, changing nothing', async (_what, timestamp) => {
    const created = await createRun({ name: 'ok' });
    const token = receiver.requests.at(-1)!.body.reportToken;
    const before = await knex('runs').where({ id: created.body.id }).first();
    const res = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', token)
      .send({ status: 'inprogress', startedAt: timestamp });
    expect(res.status).toBe(400);
    expect(await knex('runs').where({ id: created.body.id }).first()).toEqual(before);
    const stepRes = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', token)
      .send({ status: 'inprogress', startedAt: started, steps: [{ title: 'S', status: 'inprogress', startedAt: timestamp }] });
    expect(stepRes.status).toBe(400);
  });

  it.each([
    ['too short', 'abc'],
    ['too long', 'a'.repeat(200)],
    ['with characters no token has', `${'a'.repeat(42)}!`],
  ])('refuses a report token %s as unknown (401)', async (_what, token) => {
    const res = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', token)
      .send({ status: 'inprogress', startedAt: started });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('Invalid report token');
  });

  it('ignores an Authorization header on /report', async () => {
    const created = await createRun({ name: 'ok' });
    const token = receiver.requests.at(-1)!.body.reportToken;
    const res = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', token)
      .set('authorization', 'Bearer not-a-backstage-token')
      .send({ status: 'complete', startedAt: started });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: created.body.id, status: 'complete' });
  });

  it('stores NUL and lone surrogates in inputs as U+FFFD, and sends them as given', async () => {
    const odd = await request(server)
      .post('/api/self-service-actions/actions/templated/runs')
      .set('authorization', authHeader('allowed'))
      .send({ inputs: { name: 'ok', label: 'fine', free: 'a\u0000b\ud800c' } });
    expect(odd.status).toBe(201);
    expect(odd.body.inputs.free).toBe('a\ufffdb\ufffdc');
    expect(receiver.requests.at(-1)!.body.inputs.free).toBe('a\u0000b\ud800c');
  });

  it('fails a run whose receiver refuses with NUL in its answer, once, storing U+FFFD', async () => {
    const res = await request(server)
      .post('/api/self-service-actions/actions/nul-answer/runs')
      .set('authorization', authHeader('allowed'))
      .send({ inputs: {} });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'failed', error: 'Webhook answered 400: bad\ufffdinput \ufffd here' });
    expect(await knex('runs').where({ id: res.body.id }).first()).toMatchObject({ dispatch_status: 'failed' });
  });
});
