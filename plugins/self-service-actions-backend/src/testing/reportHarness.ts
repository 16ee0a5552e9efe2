import { isDeepStrictEqual } from 'node:util';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader } from './fixtures';
import { anyoneMayRun } from './sampleAction';
import { captureConsole, dumpDatabase, secretForms } from './secretScan';
import { startPluginBackend } from './testBackend';
import { TestReceiver } from './TestReceiver';

/** When the test reports say a run or step started. */
export const started = '2026-05-10T15:35:42.714+00:00';

/** The error name Backstage's error handler answers with, per status. */
export const errorNames: Record<number, string | undefined> = {
  200: undefined,
  400: 'InputError',
  401: 'AuthenticationError',
  409: 'ConflictError',
  413: 'PayloadTooLargeError',
};

type Rows = Array<Record<string, unknown>>;
/** The rows of the tables a report may change. */
export interface TableState {
  runs: Rows;
  steps: Rows;
  tokens: Rows;
}

/** The rows of one run (`only`) or of every other run. */
export function rowsOf(state: TableState, runId: string, only: boolean): TableState {
  const keep = (row: Record<string, unknown>) => ((row.run_id ?? row.id) === runId) === only;
  return { runs: state.runs.filter(keep), steps: state.steps.filter(keep), tokens: state.tokens.filter(keep) };
}

/**
 * The plugin started as a Backstage backend on one test database with the given `report`
 * limits, its logs (root logger at debug) captured, one action whose webhook a loopback
 * receiver accepts, and what the hostile-report tests share. Registers jest hooks: call it at
 * the top of a describe block.
 */
export function useReportBackend(
  databaseId: Parameters<TestDatabases['init']>[0],
  databases: TestDatabases,
  report: object,
) {
  const h = {
    knex: undefined as unknown as Knex,
    server: undefined as any,
    receiver: new TestReceiver().on('/hooks/ok', () => ({ status: 202 })),
    logs: undefined as unknown as ReturnType<typeof captureConsole>,
    /** Every report token minted for this backend's runs. */
    tokens: [] as string[],
    /** A new run and the report token its webhook carried. */
    async newRun(): Promise<{ id: string; token: string }> {
      const res = await request(h.server)
        .post('/api/self-service-actions/actions/report-back/runs')
        .set('authorization', authHeader('allowed'))
        .send({ inputs: {} });
      if (res.status !== 201) {
        throw new Error(`creating a run answered ${res.status}`);
      }
      const token: string = h.receiver.requests.at(-1)!.body.reportToken;
      h.tokens.push(token);
      return { id: res.body.id, token };
    },
    /** POST /report with the token in `header`; a string body is sent as is. */
    send(token: string | undefined, body: unknown, headers: Record<string, string | string[]> = {}, header = 'x-report-token') {
      const req = request(h.server).post('/api/self-service-actions/report').set('content-type', 'application/json');
      if (token !== undefined) req.set(header, token);
      // A list is sent as that many header lines (Node's ClientRequest takes one; the types do not say so).
      for (const [name, value] of Object.entries(headers)) req.set(name, value as string);
      return req.send(typeof body === 'string' ? body : JSON.stringify(body));
    },
    /** The run as its initiator reads it. */
    async read(id: string): Promise<any> {
      return (await request(h.server).get(`/api/self-service-actions/runs/${id}`).set('authorization', authHeader('allowed'))).body;
    },
    async state(): Promise<TableState> {
      return {
        runs: await h.knex('runs').orderBy('id'),
        steps: await h.knex('run_steps').orderBy(['run_id', 'title']),
        tokens: await h.knex('run_tokens').orderBy('token_hash'),
      };
    },
    /** Each form of each token (and of `extra`) found in a dump of the database or in the logs. */
    async leaks(extra: string[] = []): Promise<string[]> {
      const places = { 'the database': await dumpDatabase(h.knex), 'the logs': h.logs.text() };
      const forms = [...h.tokens, ...extra].flatMap(secretForms);
      return Object.entries(places).flatMap(([place, text]) =>
        forms.filter(form => text.includes(form)).map(form => `${form} in ${place}`),
      );
    },
  };

  beforeAll(async () => {
    h.logs = captureConsole();
    h.knex = await databases.init(databaseId);
    const url = await h.receiver.start();
    const backend = await startPluginBackend({
      knex: h.knex,
      selfServiceActions: {
        report,
        actions: [anyoneMayRun('report-back', { method: { type: 'Webhook', url: `${url}/hooks/ok` } })],
      },
      extraFeatures: [mockServices.rootLogger.factory({ level: 'debug' })],
    });
    h.server = backend.server;
  });

  afterAll(async () => {
    h.logs.restore();
    await h.receiver.stop();
  });

  return h;
}

/** A report sent to a fresh run, and what the plugin must answer and store. */
export interface ReportCase {
  kind: string;
  name: string;
  /** Reports sent first (each must be accepted). */
  before?: Array<(token: string) => unknown>;
  /** The body (a string is sent as is), given the run's token. */
  body: (token: string) => unknown;
  answer: 200 | 400 | 413;
  /** For an accepted report: what of the run to read, and its value. */
  stored?: [pick: (run: any) => unknown, value: unknown];
}

/**
 * Sends a case's report to a fresh run and returns what happened, in the shape of
 * {@link expectedOutcome}: the answer, whether the run's rows and every other row were left
 * alone, what was stored, and whether the receiver got another delivery.
 */
export async function runReportCase(h: ReturnType<typeof useReportBackend>, c: ReportCase) {
  const { id, token } = await h.newRun();
  for (const body of c.before ?? []) {
    const res = await h.send(token, body(token));
    if (res.status !== 200) throw new Error(`a report before the case answered ${res.status}`);
  }
  const before = await h.state();
  const deliveries = h.receiver.requests.length;
  const res = await h.send(token, c.body(token));
  const after = await h.state();
  const run = await h.read(id);
  return {
    status: res.status,
    error: res.body?.error?.name,
    errorMessage: typeof res.body?.error?.message,
    runUnchanged: isDeepStrictEqual(rowsOf(before, id, true), rowsOf(after, id, true)),
    othersUnchanged: isDeepStrictEqual(rowsOf(before, id, false), rowsOf(after, id, false)),
    stored: c.stored?.[0](run),
    extraDeliveries: h.receiver.requests.length - deliveries,
  };
}

/** What {@link runReportCase} must give for a case. */
export function expectedOutcome(c: ReportCase) {
  const refused = c.answer !== 200;
  return {
    status: c.answer,
    error: errorNames[c.answer],
    errorMessage: refused ? 'string' : 'undefined',
    runUnchanged: refused,
    othersUnchanged: true,
    stored: c.stored?.[1],
    extraDeliveries: 0,
  };
}
