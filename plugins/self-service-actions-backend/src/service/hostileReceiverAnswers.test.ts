/*
 * Hostile receivers, table-driven: whatever a receiver answers (echoes of what it got in bodies
 * and headers, NUL, binary, gzip, huge or slow-dripping bodies, redirects, resets, answers after
 * the timeout), for an action that reports back and for a button (`completion: response`). Each
 * case asserts the run's outcome, exactly one delivery (no retry storm, no redirect followed),
 * and that no secret (report token, secret inputs at any depth, header value, signing secret)
 * is in any API body, in a pg_dump of the database or in the captured logs and audit records.
 */
import { gzipSync } from 'node:zlib';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader } from '../testing/fixtures';
import { anyoneMayRun } from '../testing/sampleAction';
import { captureConsole, dumpDatabase, secretForms } from '../testing/secretScan';
import { startPluginBackend } from '../testing/testBackend';
import { Answer, ReceivedRequest, TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const HEADER_SECRET = 'Bearer hook-credential-5c4b3a';
const SIGNING_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const SECRET_INPUT = 's3cret "pass" / word';
const NESTED_SECRET = 'nested-db-password-77';
const TIMEOUT_MS = 400;
const started = '2026-05-10T15:35:42.714+00:00';

/** Everything the receiver got, as a validation error might quote it. */
const echo = (req: ReceivedRequest) =>
  JSON.stringify({ youSent: req.rawBody, headers: req.headers, query: req.query.toString(), path: req.path });
const later = (ms: number, then: () => void) => setTimeout(then, ms);

type Mode = 'report' | 'response';
interface Case {
  name: string;
  answer: (req: ReceivedRequest) => Answer;
  /** The run's status once the answer is in, and its error (undefined: none), per mode. */
  expect: Record<Mode, { status: string; error?: RegExp }>;
}

const refused = (code: number) => ({
  report: { status: 'failed', error: new RegExp(`^Webhook answered ${code}`) },
  response: { status: 'failed', error: new RegExp(`^Webhook answered ${code}`) },
});
const accepted = (_code: number) => ({
  report: { status: 'inprogress' },
  response: { status: 'complete' },

});
// No answer in time: a run that reports back stays in progress (the receiver may have started
// the work and may still report; expiry ends it), a button fails.
const unanswered = {
  report: { status: 'inprogress' },
  response: { status: 'failed', error: /^Webhook did not answer within 0.4 s/ },
};

const cases: Case[] = [
  { name: '202 without a body', answer: () => ({ status: 202 }), expect: accepted(202) },
  { name: '200 with JSON that is not a report', answer: () => ({ status: 200, body: { ok: true } }), expect: accepted(200) },
  { name: '204 no content', answer: () => ({ status: 204 }), expect: accepted(204) },
  { name: '200 with text that is not JSON', answer: req => ({ status: 200, body: `ok ${echo(req)}` }), expect: accepted(200) },
  { name: '200 with HTML', answer: () => ({ status: 200, body: '<html><body>queued</body></html>', headers: { 'content-type': 'text/html' } }), expect: accepted(200) },
  { name: '200 echoing the request as JSON', answer: req => ({ status: 200, body: { echoed: echo(req) } }), expect: accepted(200) },
  { name: '200 with the echo in its headers', answer: req => ({ status: 200, headers: { 'x-echo': Buffer.from(echo(req)).toString('base64'), 'x-token': String(req.body?.reportToken ?? '') } }), expect: accepted(200) },
  { name: '301 to another path', answer: () => ({ status: 301, headers: { location: '/ok' } }), expect: refused(301) },
  { name: '302 to another path', answer: () => ({ status: 302, headers: { location: '/ok' } }), expect: refused(302) },
  { name: '307 to another host', answer: () => ({ status: 307, headers: { location: 'http://169.254.169.254/latest' } }), expect: refused(307) },
  { name: '308 to another path', answer: () => ({ status: 308, headers: { location: '/ok' } }), expect: refused(308) },
  { name: '400 echoing the body', answer: req => ({ status: 400, body: `invalid: ${req.rawBody}` }), expect: refused(400) },
  { name: '401 echoing the headers as JSON', answer: req => ({ status: 401, body: { error: 'unauthorized', headers: req.headers } }), expect: refused(401) },
  { name: '403 echoing the URL', answer: req => ({ status: 403, body: `forbidden ${req.path}?${req.query}` }), expect: refused(403) },
  { name: '404 HTML page', answer: () => ({ status: 404, body: '<html>Not Found</html>', headers: { 'content-type': 'text/html' } }), expect: refused(404) },
  { name: '409 echoing everything', answer: req => ({ status: 409, body: echo(req) }), expect: refused(409) },
  { name: '413 echoing everything', answer: req => ({ status: 413, body: echo(req) }), expect: refused(413) },
  { name: '422 quoting the secret input alone', answer: req => ({ status: 422, body: `password "${req.body?.inputs?.password}" is too weak` }), expect: refused(422) },
  { name: '429 with Retry-After', answer: req => ({ status: 429, body: echo(req), headers: { 'retry-after': '1' } }), expect: refused(429) },
  { name: '500 echoing everything', answer: req => ({ status: 500, body: echo(req) }), expect: refused(500) },
  { name: '502 without a body', answer: () => ({ status: 502 }), expect: refused(502) },
  { name: '503 with Retry-After', answer: () => ({ status: 503, body: 'down', headers: { 'retry-after': '30' } }), expect: refused(503) },
  { name: '500 with NUL and lone surrogates', answer: req => ({ status: 500, body: `bad\u0000input \ud800 ${echo(req)} \udc00` }), expect: refused(500) },
  {
    name: '500 with binary bytes around the echo',
    answer: req => ({ raw: res => res.writeHead(500, { 'content-type': 'application/octet-stream' }).end(Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0xc3]), Buffer.from(echo(req)), Buffer.from([0xed, 0xa0, 0x80])])) }),
    expect: refused(500),
  },
  {
    name: '500 gzip-encoded echo',
    answer: req => ({ raw: res => res.writeHead(500, { 'content-encoding': 'gzip', 'content-type': 'text/plain' }).end(gzipSync(echo(req))) }),
    expect: refused(500),
  },
  {
    name: '500 with a 3 MiB body quoting the secrets at both ends',
    answer: req => ({ status: 500, body: `${echo(req)}${'x'.repeat(3 * 1024 * 1024)}${echo(req)}` }),
    expect: refused(500),
  },
  {
    name: '500 with the echo split across chunks',
    answer: req => ({
      raw: res => {
        const text = echo(req);
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.write(text.slice(0, text.length / 2));
        later(20, () => res.end(text.slice(text.length / 2)));
      },
    }),
    expect: refused(500),
  },
  { name: 'the answer after the timeout', answer: req => ({ raw: res => later(TIMEOUT_MS * 3, () => res.writeHead(500).end(echo(req))) }), expect: unanswered },
  {
    name: 'headers at once, then a body dripping past the timeout',
    answer: req => ({
      raw: res => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        const text = echo(req);
        let at = 0;
        const drip = setInterval(() => {
          if (res.destroyed || at >= text.length) {
            clearInterval(drip);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(text.slice(at, (at += 8)));
        }, 50);
      },
    }),
    expect: unanswered,
  },
  {
    name: 'a reset in the middle of the body',
    answer: req => ({ raw: res => { res.writeHead(500); res.write(echo(req).slice(0, 40)); later(10, () => res.socket?.destroy()); } }),
    expect: { report: { status: 'failed', error: /./ }, response: { status: 'failed', error: /./ } },
  },
  {
    name: 'a closed connection without an answer',
    answer: () => ({ raw: res => res.socket?.destroy() }),
    // the transport error's text (addresses, ports) is only for those who may see the URL
    expect: {
      report: { status: 'failed', error: /^The webhook could not be reached$/ },
      response: { status: 'failed', error: /^The webhook could not be reached$/ },
    },
  },
  {
    name: '200 with a report echoing the secrets in message, steps and links',
    answer: req => ({
      status: 200,
      body: {
        status: 'inprogress',
        startedAt: started,
        message: `got ${req.body?.reportToken} and ${req.body?.inputs?.password}`,
        links: [{ title: `token ${req.body?.reportToken}`, url: `https://ci.example.com/?t=${encodeURIComponent(String(req.body?.reportToken))}` }],
        steps: [{ title: `Echo ${req.body?.inputs?.password}`, status: 'inprogress', startedAt: started, logs: [echo(req)] }],
      },
    }),
    expect: accepted(200),
  },
  {
    name: '200 with a report that is invalid',
    answer: req => ({ status: 200, body: { status: 'weird', startedAt: started, message: echo(req) } }),
    expect: { report: { status: 'inprogress' }, response: { status: 'complete' } },
  },
  {
    name: '200 with a final report carrying NUL',
    answer: () => ({ status: 200, body: { status: 'complete', startedAt: started, message: 'done\u0000now' } }),
    expect: { report: { status: 'complete' }, response: { status: 'complete' } },
  },
];

describe.each(databases.eachSupportedId())('hostile receivers on %p', databaseId => {
  let knex: Knex;
  let server: any;
  const receiver = new TestReceiver().on('/ok', () => ({ status: 202 }));
  cases.forEach((c, index) => receiver.on(`/case/${index}`, c.answer));
  let logs: ReturnType<typeof captureConsole>;

  beforeAll(async () => {
    logs = captureConsole();
    knex = await databases.init(databaseId);
    const url = await receiver.start();
    const action = (mode: Mode, index: number) =>
      anyoneMayRun(`${mode}-${index}`, {
        userInputs: {
          type: 'object',
          properties: {
            password: { type: 'string', secret: true },
            db: { type: 'object', properties: { password: { type: 'string', secret: true } } },
            note: { type: 'string' },
          },
        },
        method: {
          type: 'Webhook',
          url: `${url}/case/${index}`,
          headers: { Authorization: HEADER_SECRET },
          signingSecret: SIGNING_SECRET,
          timeout: `${TIMEOUT_MS}ms`,
          ...(mode === 'response' ? { completion: 'response' } : {}),
        },
      });
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: {
        webhook: { maxResponseBytes: 64 * 1024 },
        actions: cases.flatMap((_, index) => [action('report', index), action('response', index)]),
      },
      extraFeatures: [mockServices.rootLogger.factory({ level: 'debug' })],
    });
    server = backend.server;
  });

  afterAll(async () => {
    logs.restore();
    await receiver.stop();
  });

  describe.each(['report', 'response'] as const)('with completion: %s', mode => {
    it.each(cases.map((c, index) => [c.name, index] as const))('%s', async (_name, index) => {
      const c = cases[index];
      const path = `/case/${index}`;
      const before = { here: receiver.requests.filter(r => r.path === path).length, ok: receiver.requests.filter(r => r.path === '/ok').length };
      const created = await request(server)
        .post(`/api/self-service-actions/actions/${mode}-${index}/runs`)
        .set('authorization', authHeader('allowed'))
        .send({ inputs: { password: SECRET_INPUT, db: { password: NESTED_SECRET }, note: 'hello' } });
      expect(created.status).toBe(201);
      const sent = receiver.requests.filter(r => r.path === path);
      // exactly one delivery, and no redirect followed
      expect(sent.length - before.here).toBe(1);
      expect(receiver.requests.filter(r => r.path === '/ok').length).toBe(before.ok);
      const token: string | undefined = sent.at(-1)!.body?.reportToken;
      expect(typeof token === 'string').toBe(mode === 'report');

      const read = await request(server)
        .get(`/api/self-service-actions/runs/${created.body.id}`)
        .set('authorization', authHeader('allowed'));
      const expected = c.expect[mode];
      const error: string | null = read.body.error;
      expect({ status: read.body.status, errorMatches: error === null ? null : expected.error?.test(error) }).toEqual({
        status: expected.status,
        errorMatches: expected.error ? true : null,
      });

      const list = await request(server).get('/api/self-service-actions/runs?limit=100').set('authorization', authHeader('allowed'));
      const places = {
        'the create answer': JSON.stringify(created.body),
        'the run': JSON.stringify(read.body),
        'the run list': JSON.stringify(list.body),
        'the database': await dumpDatabase(knex),
        'the logs and audit records': logs.text(),
      };
      const secrets = [SECRET_INPUT, NESTED_SECRET, HEADER_SECRET, SIGNING_SECRET, ...(token ? [token] : [])];
      const found = Object.entries(places).flatMap(([place, text]) =>
        secrets.flatMap(secretForms).filter(form => text.includes(form)).map(form => `${form} in ${place}`),
      );
      expect(found).toEqual([]);
    });
  });

  it('captured the logs and audit records it scanned', () => {
    expect(logs.text()).toContain('self-service-actions');
  });
});
