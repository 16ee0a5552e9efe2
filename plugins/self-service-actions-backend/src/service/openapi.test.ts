/*
 * The HTTP contract, src/schema/openapi.yaml: what the router generated from it refuses before
 * any handler runs, that real answers fit the schemas it declares, and that its status report
 * is the schema the run service checks reports with (the report route is not validated by the
 * generated router: its order of checks is part of the contract).
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { statusReportSchema } from '@self-service-actions/plugin-self-service-actions-common';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { Knex } from 'knex';
import request from 'supertest';
import { spec } from '../schema/openapi';
import { closedPort, TestReceiver } from '../testing/TestReceiver';
import { actionsConfig, authHeader, Person } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const api = (path: string) => `/api/self-service-actions${path}`;
const payments = 'component:default/payments';
const started = '2026-05-10T15:35:42.714+00:00';
const MAX_BODY = 16 * 1024;

type Schema = { [key: string]: any };

/** A schema of the spec with its references resolved and OpenAPI's `nullable` as JSON Schema. */
function resolved(schema: Schema): Schema {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '') as keyof typeof spec.components.schemas;
    return resolved(spec.components.schemas[name]);
  }
  const { description: _description, nullable, ...rest } = schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Schema).map(([name, property]) => [name, resolved(property)]),
      );
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = resolved(value);
    } else {
      out[key] = value;
    }
  }
  return nullable ? { anyOf: [out, { type: 'null' }] } : out;
}

/** Validates answers against the spec's schemas (OpenAPI 3.0: ajv knows `nullable`). */
function answerValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ components: spec.components }, 'spec');
  return (schemaName: keyof typeof spec.components.schemas, value: unknown, array = false) => {
    const ref = { $ref: `spec#/components/schemas/${schemaName}` };
    const validate = ajv.compile(array ? { type: 'array', items: ref } : ref);
    expect({ schemaName, valid: validate(value), errors: validate.errors ?? null }).toEqual({
      schemaName,
      valid: true,
      errors: null,
    });
  };
}

describe('the OpenAPI spec', () => {
  it('describes the status report exactly as the schema the run service checks reports with', () => {
    const stripped = JSON.parse(JSON.stringify(statusReportSchema));
    expect(resolved(spec.components.schemas.StatusReport)).toEqual(stripped);
  });
});

describe.each(databases.eachSupportedId())('the spec-validated router on %p', databaseId => {
  let knex: Knex;
  let server: any;
  let receiver: TestReceiver;
  const as = (person: Person) => ({ authorization: authHeader(person) });
  const validAnswer = answerValidator();

  async function tableState() {
    return {
      runs: await knex('runs').orderBy('id'),
      steps: await knex('run_steps').orderBy(['run_id', 'title']),
      tokens: await knex('run_tokens').orderBy('token_hash'),
    };
  }

  async function createRun(body: object = { entityRef: payments, inputs: { reason: 'spec' } }) {
    return request(server).post(api('/actions/restart-service/runs')).set(as('allowed')).send(body);
  }

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    receiver = new TestReceiver().on('/hooks/ok', () => ({ status: 202 }));
    const receiverUrl = await receiver.start();
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: {
        admins: ['group:default/portal-admins'],
        report: { maxBodyBytes: MAX_BODY },
        actions: actionsConfig(receiverUrl, `http://127.0.0.1:${await closedPort()}`),
      },
    });
    server = backend.server;
  });

  afterAll(() => receiver.stop());

  beforeEach(() => {
    receiver.requests.length = 0;
  });

  // Each refused by the spec: the message names the part of the request the validator judged.
  it.each<[string, () => PromiseLike<request.Response>, RegExp]>([
    ['an unknown query parameter of GET /actions', () => request(server).get(api('/actions?entity=x')).set(as('allowed')), /Unknown query parameter 'entity'/],
    ['an unknown query parameter of GET /runs', () => request(server).get(api('/runs?page=2')).set(as('allowed')), /Unknown query parameter 'page'/],
    ['limit=0', () => request(server).get(api('/runs?limit=0')).set(as('allowed')), /request\/query\/limit must be >= 1/],
    ['limit=101', () => request(server).get(api('/runs?limit=101')).set(as('allowed')), /request\/query\/limit must be <= 100/],
    ['limit=ten', () => request(server).get(api('/runs?limit=ten')).set(as('allowed')), /request\/query\/limit must be integer/],
    ['limit=2.5', () => request(server).get(api('/runs?limit=2.5')).set(as('allowed')), /request\/query\/limit must be integer/],
    ['status=bogus', () => request(server).get(api('/runs?status=bogus')).set(as('allowed')), /request\/query\/status must be equal to one of the allowed values/],
    ['mine=maybe', () => request(server).get(api('/runs?mine=maybe')).set(as('allowed')), /request\/query\/mine must be boolean/],
    ['a query parameter given twice', () => request(server).get(api('/runs?status=failed&status=complete')).set(as('allowed')), /request\/query\/status must be/],
    ['an unknown body key on POST /actions/{id}/runs', () => createRun({ entityRef: payments, inputs: { reason: 'x' }, priority: 'high' }), /request\/body must NOT have additional properties/],
    ['inputs that are not an object', () => createRun({ entityRef: payments, inputs: ['x'] }), /request\/body\/inputs must be object/],
    ['an entityRef that is not a string', () => createRun({ entityRef: 5, inputs: { reason: 'x' } }), /request\/body\/entityRef must be string/],
    ['a body that is a list', () => createRun([{ entityRef: payments }]), /request\/body must be object/],
    ['an unknown body key on POST /runs/{id}/rerun', () => request(server).post(api('/runs/any/rerun')).set(as('allowed')).send({ inputs: {}, now: true }), /request\/body must NOT have additional properties/],
  ])('refuses %s with 400 and Backstage\'s error body, storing and sending nothing', async (_name, send, message) => {
    const before = await tableState();
    const res = await send();
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: expect.objectContaining({ name: 'InputError', message: expect.stringMatching(message) }),
      request: expect.objectContaining({ method: expect.any(String), url: expect.any(String) }),
      response: { statusCode: 400 },
    });
    validAnswer('Error', res.body);
    expect(await tableState()).toEqual(before);
    expect(receiver.requests).toHaveLength(0);
  });

  it('keeps an oversized body a 413, and a body that is not JSON the router\'s own 400', async () => {
    const huge = await createRun({ entityRef: payments, inputs: { reason: 'x'.repeat(MAX_BODY) } });
    expect(huge.status).toBe(413);
    expect(huge.body.error.name).toBe('PayloadTooLargeError');
    const malformed = await request(server)
      .post(api('/actions/restart-service/runs'))
      .set(as('allowed'))
      .set('content-type', 'application/json')
      .send('{"inputs":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/^The request body is not valid JSON/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('accepts what the spec allows: every filter, the limits of limit, no body', async () => {
    for (const query of ['?limit=1', '?limit=100', '?mine=true', '?mine=false', `?status=failed&actionId=restart-service&entityRef=${payments}`]) {
      const res = await request(server).get(api(`/runs${query}`)).set(as('admin'));
      expect([query, res.status]).toEqual([query, 200]);
      validAnswer('RunList', res.body);
    }
    const global = await request(server).post(api('/actions/create-database/runs')).set(as('allowed'));
    // no body at all is an empty one: the action's own input schema refuses it
    expect(global.status).toBe(400);
    expect(global.body.error.fieldErrors).toEqual([{ path: 'inputs.dbName', message: 'is required' }]);
  });

  it('answers what the spec declares', async () => {
    const actions = await request(server).get(api(`/actions?entityRef=${payments}`)).set(as('owner'));
    expect(actions.status).toBe(200);
    validAnswer('ActionListItem', actions.body, true);
    const definition = await request(server).get(api('/actions/create-database')).set(as('owner'));
    validAnswer('PublicActionDefinition', definition.body);

    const created = await createRun({ entityRef: payments, inputs: { reason: 'spec', replicas: 3 } });
    expect(created.status).toBe(201);
    validAnswer('Run', created.body);
    const token = receiver.requests[0].body.reportToken;
    const report = await request(server)
      .post(api('/report'))
      .set('x-report-token', token)
      .send({
        status: 'inprogress',
        startedAt: started,
        links: [{ title: 'CI', url: 'https://ci.example.com/1' }],
        steps: [{ title: 'Build', status: 'complete', startedAt: started, completedAt: started, logs: ['ok'] }],
      });
    expect(report.status).toBe(200);
    validAnswer('ReportAnswer', report.body);
    const read = await request(server).get(api(`/runs/${created.body.id}`)).set(as('allowed'));
    validAnswer('Run', read.body);
    expect(read.body.steps).toHaveLength(1);
    const rerun = await request(server).post(api(`/runs/${created.body.id}/rerun`)).set(as('allowed')).send({});
    expect(rerun.status).toBe(201);
    validAnswer('Run', rerun.body);
    const cancelled = await request(server).post(api(`/runs/${rerun.body.id}/cancel`)).set(as('allowed'));
    expect(cancelled.status).toBe(200);
    validAnswer('Run', cancelled.body);
    const list = await request(server).get(api('/runs?limit=1')).set(as('admin'));
    validAnswer('RunList', list.body);
    expect(list.body.nextCursor).toEqual(expect.any(String));
    const missing = await request(server).get(api('/runs/nope')).set(as('allowed'));
    expect(missing.status).toBe(404);
    validAnswer('Error', missing.body);
  });

  it('serves the spec it validates with', async () => {
    const res = await request(server).get(api('/openapi.json')).set(as('allowed'));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\/actions\/\{id\}\/runs$/),
        expect.stringMatching(/\/report$/),
      ]),
    );
  });
});
