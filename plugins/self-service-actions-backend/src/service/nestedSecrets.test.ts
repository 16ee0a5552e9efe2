/*
 * Secrets at any depth of the input schema (DESIGN §15), through the real router on both
 * databases with a real receiver that echoes what it got: each reaches the receiver and
 * nothing else, neither a table, nor an API answer, nor a re-run.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader, Person } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { anyoneMayRun } from '../testing/sampleAction';
import { TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const started = '2026-05-10T15:35:42.714+00:00';
const secret = { type: 'string', secret: true };

/** One action per construct: its schema, inputs holding secrets, and what must be kept. */
const constructs: Array<{ id: string; userInputs: object; inputs: object; secrets: string[]; kept: object }> = [
  {
    id: 'nested-object',
    userInputs: { type: 'object', properties: { db: { type: 'object', properties: { host: { type: 'string' }, password: secret } } } },
    inputs: { db: { host: 'db1', password: 'nested-pw-0001' } },
    secrets: ['nested-pw-0001'],
    kept: { db: { host: 'db1' } },
  },
  {
    id: 'array-items',
    userInputs: {
      type: 'object',
      properties: { servers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, token: secret } } } },
    },
    inputs: { servers: [{ name: 'a', token: 'item-token-0001' }, { name: 'b', token: 'item-token-0002' }] },
    secrets: ['item-token-0001', 'item-token-0002'],
    kept: { servers: [{ name: 'a' }, { name: 'b' }] },
  },
  {
    id: 'all-of',
    userInputs: {
      type: 'object',
      properties: { opts: { type: 'object', allOf: [{ properties: { key: secret } }, { properties: { note: { type: 'string' } } }] } },
    },
    inputs: { opts: { key: 'allof-key-0001', note: 'hello' } },
    secrets: ['allof-key-0001'],
    kept: { opts: { note: 'hello' } },
  },
  {
    id: 'any-of',
    userInputs: {
      type: 'object',
      properties: { auth: { anyOf: [{ type: 'string' }, { type: 'object', properties: { user: { type: 'string' }, pin: secret } }] } },
    },
    inputs: { auth: { user: 'u', pin: 'anyof-pin-0001' } },
    secrets: ['anyof-pin-0001'],
    kept: { auth: { user: 'u' } },
  },
  {
    id: 'one-of',
    userInputs: { type: 'object', properties: { login: { oneOf: [{ type: 'string', secret: true }, { type: 'integer' }] } } },
    inputs: { login: 'oneof-login-0001' },
    secrets: ['oneof-login-0001'],
    kept: {},
  },
  {
    id: 'if-then-else',
    userInputs: {
      type: 'object',
      properties: {
        auth: {
          type: 'object',
          properties: { kind: { type: 'string' } },
          if: { properties: { kind: { const: 'token' } } },
          then: { properties: { token: secret } },
          else: { properties: { password: secret } },
        },
      },
    },
    inputs: { auth: { kind: 'token', token: 'then-token-0001' } },
    secrets: ['then-token-0001'],
    kept: { auth: { kind: 'token' } },
  },
  {
    id: 'additional-properties',
    userInputs: {
      type: 'object',
      properties: { env: { type: 'object', properties: { region: { type: 'string' } }, additionalProperties: secret } },
    },
    inputs: { env: { region: 'eu', API_KEY: 'additional-0001' } },
    secrets: ['additional-0001'],
    kept: { env: { region: 'eu' } },
  },
  {
    id: 'pattern-properties',
    userInputs: {
      type: 'object',
      properties: { vars: { type: 'object', patternProperties: { '^SECRET_': secret, '^PLAIN_': { type: 'string' } } } },
    },
    inputs: { vars: { SECRET_A: 'pattern-0001', PLAIN_B: 'plain' } },
    secrets: ['pattern-0001'],
    kept: { vars: { PLAIN_B: 'plain' } },
  },
  {
    id: 'dependencies',
    userInputs: {
      type: 'object',
      properties: {
        login: { type: 'object', properties: { account: { type: 'string' } }, dependencies: { account: { properties: { pass: secret } } } },
      },
    },
    inputs: { login: { account: 'u', pass: 'dependency-0001' } },
    secrets: ['dependency-0001'],
    kept: { login: { account: 'u' } },
  },
];

describe.each(databases.eachSupportedId())('secrets at any depth on %p', databaseId => {
  let knex: Knex;
  let server: any;
  // Answers every webhook with a report whose log quotes the whole request.
  const receiver = new TestReceiver().on('/echo', req => ({
    status: 200,
    body: {
      status: 'inprogress',
      startedAt: started,
      steps: [{ title: 'Echo', status: 'inprogress', startedAt: started, logs: [JSON.stringify(req.body)] }],
    },
  }));
  const as = (person: Person) => ({ authorization: authHeader(person) });
  const api = (path: string) => `/api/self-service-actions${path}`;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    const url = await receiver.start();
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: {
        admins: ['group:default/portal-admins'],
        actions: constructs.map(c =>
          anyoneMayRun(c.id, { userInputs: c.userInputs, method: { type: 'Webhook', url: `${url}/echo` } }),
        ),
      },
    });
    server = backend.server;
  });

  afterAll(() => receiver.stop());

  beforeEach(() => {
    receiver.requests.length = 0;
  });

  /** Every row of every table the plugin's database holds, as text. */
  async function everyTable(): Promise<string> {
    const tables: string[] = knex.client.config.client.includes('pg')
      ? (await knex('information_schema.tables').where({ table_schema: knex.raw('current_schema()') }).select('table_name'))
          .map((row: { table_name: string }) => row.table_name)
      : (await knex('sqlite_master').where({ type: 'table' }).select('name')).map((row: { name: string }) => row.name);
    expect(tables).toEqual(expect.arrayContaining(['runs', 'run_steps', 'run_tokens']));
    const rows = await Promise.all(tables.map(async table => ({ table, rows: await knex(table) })));
    return JSON.stringify(rows);
  }

  it.each(constructs)('sends a secret in $id to the receiver only, and never stores, returns or re-sends it', async c => {
    const created = await request(server).post(api(`/actions/${c.id}/runs`)).set(as('allowed')).send({ inputs: c.inputs });
    expect(created.status).toBe(201);
    expect(receiver.requests[0].body.inputs).toEqual(c.inputs);
    // The echo came back as a report: applied, with the secrets scrubbed from its log.
    expect(created.body.steps[0].logs[0]).toContain('***');
    expect(created.body.inputs).toEqual(c.kept);

    const rerun = await request(server).post(api(`/runs/${created.body.id}/rerun`)).set(as('allowed')).send({});
    expect(rerun.status).toBe(201);
    expect(receiver.requests[1].body.inputs).toEqual(c.kept);

    const shown = JSON.stringify([
      created.body,
      rerun.body,
      (await request(server).get(api(`/runs/${created.body.id}`)).set(as('allowed'))).body,
      (await request(server).get(api('/runs')).set(as('admin'))).body,
      (await request(server).get(api(`/actions/${c.id}`)).set(as('admin'))).body,
    ]);
    const stored = await everyTable();
    for (const value of c.secrets) {
      expect(JSON.stringify(receiver.requests[0].body)).toContain(value);
      expect(shown).not.toContain(value);
      expect(stored).not.toContain(value);
      expect(JSON.stringify(receiver.requests[1].body)).not.toContain(value);
    }
  });

  it('re-runs with a nested secret given again, which reaches the receiver alone', async () => {
    const created = await request(server)
      .post(api('/actions/nested-object/runs'))
      .set(as('allowed'))
      .send({ inputs: { db: { host: 'db1', password: 'first-pw-0001' } } });
    const rerun = await request(server)
      .post(api(`/runs/${created.body.id}/rerun`))
      .set(as('allowed'))
      .send({ inputs: { db: { host: 'db2', password: 'second-pw-0002' } } });
    expect(rerun.status).toBe(201);
    expect(receiver.requests[1].body.inputs).toEqual({ db: { host: 'db2', password: 'second-pw-0002' } });
    expect(rerun.body.inputs).toEqual({ db: { host: 'db2' } });
    expect(await everyTable()).not.toContain('second-pw-0002');
  });

  it('neither returns nor re-sends a nested secret of a run stored before its schema marked it', async () => {
    const created = await request(server)
      .post(api('/actions/nested-object/runs'))
      .set(as('allowed'))
      .send({ inputs: { db: { host: 'db1' } } });
    // As an older version would have stored it.
    await knex('runs')
      .where({ id: created.body.id })
      .update({ inputs: JSON.stringify({ db: { host: 'db1', password: 'legacy-pw-0001' } }) });
    const read = await request(server).get(api(`/runs/${created.body.id}`)).set(as('allowed'));
    expect(read.body.inputs).toEqual({ db: { host: 'db1' } });
    await request(server).post(api(`/runs/${created.body.id}/rerun`)).set(as('allowed')).send({});
    expect(receiver.requests[1].body.inputs).toEqual({ db: { host: 'db1' } });
  });
});
