/*
 * Hostile input, table-driven, against the real router and a real database: every case
 * answers a clear 4xx, leaves every table exactly as it was and sends nothing to the receiver.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { closedPort, TestReceiver } from '../testing/TestReceiver';
import { actionsConfig, authHeader, Person } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const started = '2026-05-10T15:35:42.714+00:00';
const api = (path: string) => `/api/self-service-actions${path}`;
const MAX_BODY = 64 * 1024;
const MAX_STEPS = 20;
const MAX_LINE = 200;

type Send = (ctx: Ctx) => request.Test;
interface Ctx {
  server: any;
  openToken: string;
  openRunId: string;
  stepsToken: string;
  expiredToken: string;
  finalTokens: Record<'complete' | 'failed' | 'terminated' | 'rejected', string>;
  finalRunId: string;
  openTokenHash: string;
}
interface Case {
  category: string;
  name: string;
  send: Send;
  status: number;
  error: string;
}

const runBody = (inputs: unknown, extra: object = {}) => ({
  entityRef: 'component:default/payments',
  inputs,
  ...extra,
});
const createRun = (body: unknown, person: Person = 'allowed'): Send => ctx =>
  request(ctx.server)
    .post(api('/actions/restart-service/runs'))
    .set('authorization', authHeader(person))
    .send(body as object);
const createRunRaw = (raw: string): Send => ctx =>
  request(ctx.server)
    .post(api('/actions/restart-service/runs'))
    .set('authorization', authHeader('allowed'))
    .set('content-type', 'application/json')
    .send(raw);
const report = (token: (ctx: Ctx) => string | undefined, body: unknown, header = 'x-report-token'): Send => ctx => {
  const req = request(ctx.server).post(api('/report')).set('content-type', 'application/json');
  const value = token(ctx);
  if (value !== undefined) req.set(header, value);
  return req.send(typeof body === 'string' ? body : JSON.stringify(body));
};
const open = (ctx: Ctx) => ctx.openToken;
const valid = { status: 'inprogress', startedAt: started };
const step = (title: string, extra: object = {}) => ({ title, status: 'inprogress', startedAt: started, ...extra });
const steps = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => step(`${prefix}${i}`));

const cases: Case[] = [];
const add = (category: string, status: number, error: string, list: Array<[string, Send]>) =>
  list.forEach(([name, send]) => cases.push({ category, name, send, status, error }));

add('malformed JSON', 400, 'InputError', [
  ['run: unterminated object', createRunRaw('{')],
  ['run: cut after a key', createRunRaw('{"inputs":')],
  ['run: unterminated array', createRunRaw('[1,2')],
  ['run: single quotes', createRunRaw("{'inputs':{}}")],
  ['run: bare word', createRunRaw('nul')],
  ['run: trailing brace', createRunRaw('{"inputs":{}}}')],
  ['run: trailing comma', createRunRaw('{"inputs":{"reason":"x",}}')],
  ['run: NUL byte', createRunRaw('\u0000')],
  ['report: unterminated object', report(open, '{')],
  ['report: cut after a key', report(open, '{"status":')],
  ['report: single quotes', report(open, "{'status':'inprogress'}")],
  ['report: plain text', report(open, 'not json')],
  ['report: empty body', report(open, '')],
]);

add('wrong types', 400, 'InputError', [
  ['run: number for a string input', createRun(runBody({ reason: 123 }))],
  ['run: string for an integer input', createRun(runBody({ reason: 'x', replicas: '2' }))],
  ['run: fraction for an integer input', createRun(runBody({ reason: 'x', replicas: 2.5 }))],
  ['run: inputs as a list', createRun(runBody([]))],
  ['run: inputs as a string', createRun(runBody('reason=x'))],
  ['run: entityRef as a number', createRun({ entityRef: 5, inputs: { reason: 'x' } })],
  ['run: body as a list', createRun([{ inputs: { reason: 'x' } }])],
  ['report: status as a number', report(open, { status: 5, startedAt: started })],
  ['report: startedAt as a number', report(open, { status: 'inprogress', startedAt: 1715355342 })],
  ['report: steps as an object', report(open, { ...valid, steps: { title: 'x' } })],
  ['report: logs as a string', report(open, { ...valid, steps: [step('a', { logs: 'line' })] })],
  ['report: links as a string', report(open, { ...valid, links: 'https://x' })],
  ['report: message as a number', report(open, { ...valid, message: 5 })],
  ['report: step title as a number', report(open, { ...valid, steps: [step('a', { title: 5 })] })],
]);

add('unknown fields', 400, 'InputError', [
  ['run: unknown body field', createRun(runBody({ reason: 'x' }, { priority: 'high' }))],
  ['run: unknown input', createRun(runBody({ reason: 'x', force: true }))],
  ['run: misspelt input', createRun(runBody({ reasn: 'x' }))],
  ['rerun: unknown body field', ctx => request(ctx.server).post(api(`/runs/${ctx.openRunId}/rerun`)).set('authorization', authHeader('allowed')).send({ inputs: {}, now: true })],
  ['report: unknown root field', report(open, { ...valid, progress: 50 })],
  ['report: unknown step field', report(open, { ...valid, steps: [step('a', { percent: 5 })] })],
  ['report: unknown link field', report(open, { ...valid, links: [{ url: 'https://x.example', icon: 'x' }] })],
  ['report: token in the body', report(open, { ...valid, reportToken: 'x' })],
  ['report: id in the body', report(open, { ...valid, id: 'another-run' })],
]);

const big = 'x'.repeat(MAX_BODY + 1024);
add('oversized bodies and logs', 413, 'PayloadTooLargeError', [
  ['run: body over the limit', createRun(runBody({ reason: big }))],
  ['rerun: body over the limit', ctx => request(ctx.server).post(api(`/runs/${ctx.openRunId}/rerun`)).set('authorization', authHeader('allowed')).send({ inputs: { reason: big } })],
  ['report: body over the limit', report(open, { ...valid, message: big })],
  ['report: many log lines over the limit', report(open, { ...valid, steps: [step('a', { logs: Array(6000).fill('log line ...') })] })],
]);
add('oversized bodies and logs', 400, 'InputError', [
  ['report: a log line over the limit', report(open, { ...valid, steps: [step('a', { logs: ['x'.repeat(MAX_LINE + 1)] })] })],
  ['report: message over 4 KiB', report(open, { ...valid, message: 'm'.repeat(4097) })],
  ['report: step title over 200', report(open, { ...valid, steps: [step('t'.repeat(201))] })],
  ['report: link URL over 2 KiB', report(open, { ...valid, links: [{ url: `https://x.example/${'p'.repeat(2100)}` }] })],
  ['report: more than 50 links', report(open, { ...valid, links: Array.from({ length: 51 }, (_, i) => ({ url: `https://x.example/${i}` })) })],
]);

add('huge step counts', 400, 'InputError', [
  [`report: ${MAX_STEPS + 1} steps`, report(open, { ...valid, steps: steps(MAX_STEPS + 1) })],
  ['report: 50 steps', report(open, { ...valid, steps: steps(50) })],
  ['report: 100 steps', report(open, { ...valid, steps: steps(100) })],
  ['report: 500 steps', report(open, { ...valid, steps: steps(500) })],
  ['report: 700 steps', report(open, { ...valid, steps: steps(700) })],
  ['report: 2 new steps past the limit', report(ctx => ctx.stepsToken, { ...valid, steps: steps(2, 'new') })],
  ['report: 5 new steps past the limit', report(ctx => ctx.stepsToken, { ...valid, steps: steps(5, 'more') })],
  ['report: known steps plus 2 new past the limit', report(ctx => ctx.stepsToken, { ...valid, steps: [...steps(3, 's'), ...steps(2, 'extra')] })],
]);

add('invalid timestamps and statuses', 400, 'InputError', [
  ['report: startedAt in words', report(open, { status: 'inprogress', startedAt: 'yesterday' })],
  ['report: month 13', report(open, { status: 'inprogress', startedAt: '2026-13-01T00:00:00Z' })],
  ['report: no offset', report(open, { status: 'inprogress', startedAt: '2026-05-10T15:35:42' })],
  ['report: empty startedAt', report(open, { status: 'inprogress', startedAt: '' })],
  ['report: step startedAt in words', report(open, { ...valid, steps: [step('a', { startedAt: 'now' })] })],
  ['report: completedAt in words', report(open, { ...valid, completedAt: 'soon' })],
  ['report: unknown status', report(open, { status: 'done', startedAt: started })],
  ['report: status in capitals', report(open, { status: 'COMPLETE', startedAt: started })],
  ['report: unknown step status', report(open, { ...valid, steps: [step('a', { status: 'ok' })] })],
  ['report: null status', report(open, { status: null, startedAt: started })],
  ['report: missing startedAt', report(open, { status: 'inprogress' })],
]);

const expired = (ctx: Ctx) => ctx.expiredToken;
add('expired tokens', 401, 'AuthenticationError', [
  ['valid in-progress report', report(expired, valid)],
  ['valid final report', report(expired, { status: 'complete', startedAt: started })],
  ['report with steps', report(expired, { ...valid, steps: [step('late')] })],
  ['pending approval', report(expired, { status: 'pending-approval', startedAt: started })],
  ['invalid body', report(expired, { status: 'weird' })],
  ['malformed body', report(expired, '{')],
  ['empty body', report(expired, '')],
  ['configure8 header', report(expired, valid, 'c8-report-token')],
]);

const finals = ['complete', 'failed', 'terminated', 'rejected'] as const;
add(
  'replays after final',
  409,
  'ConflictError',
  finals.flatMap(status => [
    [`${status}: valid report`, report(ctx => ctx.finalTokens[status], valid)] as [string, Send],
    [`${status}: replayed final report`, report(ctx => ctx.finalTokens[status], { status, startedAt: started })] as [string, Send],
  ]),
);
add('replays after final', 409, 'ConflictError', [
  ['cancel of a final run', ctx => request(ctx.server).post(api(`/runs/${ctx.finalRunId}/cancel`)).set('authorization', authHeader('allowed')).send({})],
]);

add('__proto__ and constructor keys', 400, 'InputError', [
  ['run: __proto__ input', createRunRaw('{"entityRef":"component:default/payments","inputs":{"reason":"x","__proto__":{"polluted":true}}}')],
  ['run: constructor input', createRunRaw('{"entityRef":"component:default/payments","inputs":{"reason":"x","constructor":{"prototype":{"polluted":true}}}}')],
  ['run: prototype input', createRunRaw('{"entityRef":"component:default/payments","inputs":{"reason":"x","prototype":{"polluted":true}}}')],
  ['run: __proto__ at the root', createRunRaw('{"entityRef":"component:default/payments","inputs":{"reason":"x"},"__proto__":{"polluted":true}}')],
  ['report: __proto__ at the root', report(open, `{"status":"inprogress","startedAt":"${started}","__proto__":{"polluted":true}}`)],
  ['report: constructor at the root', report(open, `{"status":"inprogress","startedAt":"${started}","constructor":{"prototype":{"polluted":true}}}`)],
  ['report: __proto__ in a step', report(open, `{"status":"inprogress","startedAt":"${started}","steps":[{"title":"a","status":"inprogress","startedAt":"${started}","__proto__":{"polluted":true}}]}`)],
  ['report: constructor in a link', report(open, `{"status":"inprogress","startedAt":"${started}","links":[{"url":"https://x.example","constructor":{"polluted":true}}]}`)],
]);

add('CR/LF in values placed in headers', 400, 'InputError', [
  ['CRLF header injection', createRun(runBody({ reason: 'a\r\nX-Evil: 1' }))],
  ['LF only', createRun(runBody({ reason: 'a\nb' }))],
  ['CR only', createRun(runBody({ reason: 'a\rb' }))],
  ['bare CRLF', createRun(runBody({ reason: '\r\n' }))],
  ['request smuggling', createRun(runBody({ reason: 'x\r\n\r\nPOST /admin HTTP/1.1' }))],
  ['trailing LF', createRun(runBody({ reason: 'trailing\n' }))],
  ['leading LF', createRun(runBody({ reason: '\nleading' }))],
  ['two lines', createRun(runBody({ reason: 'one\r\ntwo\r\nthree' }))],
]);

add('entity refs that do not parse', 400, 'InputError', [
  ...['component:', 'component:default/', ':/', 'x/y/z', 'a:b/', '/', ':', 'component:/name', ' '].map(
    ref => [`run on ${JSON.stringify(ref)}`, createRun({ entityRef: ref, inputs: { reason: 'x' } })] as [string, Send],
  ),
  ['actions of ":"', ctx => request(ctx.server).get(api('/actions?entityRef=%3A')).set('authorization', authHeader('allowed'))],
  ['runs of "x/y/z"', ctx => request(ctx.server).get(api('/runs?entityRef=x%2Fy%2Fz')).set('authorization', authHeader('allowed'))],
]);

add('missing or unknown tokens', 401, 'AuthenticationError', [
  ['no token', report(() => undefined, valid)],
  ['empty token', report(() => '', valid)],
  ['random token', report(() => 'c2VjcmV0LWJ1dC13cm9uZw', valid)],
  ['the stored hash used as the token', report(ctx => ctx.openTokenHash, valid)],
  ['the token with a suffix', report(ctx => `${ctx.openToken}x`, valid)],
  ['the token in other case', report(ctx => ctx.openToken.toUpperCase(), valid)],
  ['the token as a bearer token', ctx => request(ctx.server).post(api('/report')).set('authorization', `Bearer ${ctx.openToken}`).send(valid)],
  ['the token in the query', ctx => request(ctx.server).post(api(`/report?token=${ctx.openToken}`)).send(valid)],
]);

const placeholderHosts = [
  'https://{{ inputs.host }}/x',
  'https://{{host}}.example.com/x',
  'https://hooks.example.{{ tld }}/x',
  'https://hooks.example.com:{{ port }}/x',
  'https://user@{{ host }}/x',
  'http://{{ entity.metadata.name }}.svc/x',
  'https://hooks{{ suffix }}/x',
  'https://{{ reportToken }}/x',
];

describe.each(databases.eachSupportedId())('hostile input on %p', databaseId => {
  let knex: Knex;
  let receiver: TestReceiver;
  const ctx = {} as Ctx;

  async function tableState() {
    return {
      runs: await knex('runs').orderBy('id'),
      steps: await knex('run_steps').orderBy(['run_id', 'title']),
      tokens: await knex('run_tokens').orderBy('token_hash'),
    };
  }

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    receiver = new TestReceiver().on('/hooks/ok', () => ({ status: 202 }));
    const receiverUrl = await receiver.start();
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: {
        admins: ['group:default/portal-admins'],
        report: { maxBodyBytes: MAX_BODY, maxSteps: MAX_STEPS, maxLogLineLength: MAX_LINE },
        actions: actionsConfig(receiverUrl, `http://127.0.0.1:${await closedPort()}`),
      },
    });
    ctx.server = backend.server;
    const make = async () => {
      const res = await request(ctx.server)
        .post(api('/actions/restart-service/runs'))
        .set('authorization', authHeader('allowed'))
        .send(runBody({ reason: 'fixture' }));
      expect(res.status).toBe(201);
      return { id: res.body.id as string, token: receiver.requests.at(-1)!.body.reportToken as string };
    };
    const openRun = await make();
    ctx.openToken = openRun.token;
    ctx.openRunId = openRun.id;
    ctx.openTokenHash = (await knex('run_tokens').where({ run_id: openRun.id }).first()).token_hash;
    const stepsRun = await make();
    ctx.stepsToken = stepsRun.token;
    const filled = await request(ctx.server)
      .post(api('/report'))
      .set('x-report-token', stepsRun.token)
      .send({ ...valid, steps: steps(MAX_STEPS - 1) });
    if (filled.status !== 200) {
      throw new Error(`filling the steps of a run answered ${filled.status}`);
    }
    const expiredRun = await make();
    ctx.expiredToken = expiredRun.token;
    await knex('runs').where({ id: expiredRun.id }).update({ expires_at: new Date(Date.now() - 60_000) });
    ctx.finalTokens = {} as Ctx['finalTokens'];
    for (const status of finals) {
      const run = await make();
      ctx.finalTokens[status] = run.token;
      ctx.finalRunId = run.id;
      await knex('runs').where({ id: run.id }).update({ status, completed_at: new Date() });
    }
  });

  afterAll(() => receiver.stop());

  it.each(cases.map(c => [c.category, c.name, c] as const))('%s: %s', async (_category, _name, c) => {
    const before = await tableState();
    const deliveries = receiver.requests.length;
    const res = await c.send(ctx);
    expect({ status: res.status, error: res.body?.error?.name }).toEqual({ status: c.status, error: c.error });
    expect(res.body.error.message).toEqual(expect.any(String));
    expect(await tableState()).toEqual(before);
    expect(receiver.requests.length).toBe(deliveries);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(placeholderHosts)('refuses to start with a placeholder in the webhook host: %s', async url => {
    const before = await tableState();
    await expect(
      startPluginBackend({
        knex,
        selfServiceActions: {
          actions: [
            {
              id: 'sneaky',
              name: 'Sneaky',
              type: 'Day2',
              icon: 'restart',
              status: 'Active',
              owner: 'group:default/platform',
              method: { type: 'Webhook', url },
            },
          ],
        },
      }),
    ).rejects.toThrow(
      'Invalid self-service action "sneaky": selfServiceActions.actions field "method.url" cannot have placeholders in its scheme, host or port',
    );
    expect(await tableState()).toEqual(before);
  });

  it('tried at least 100 cases, at least 8 per category', () => {
    const perCategory = new Map<string, number>();
    for (const c of cases) perCategory.set(c.category, (perCategory.get(c.category) ?? 0) + 1);
    perCategory.set('placeholders in the webhook host', placeholderHosts.length);
    expect(cases.length + placeholderHosts.length).toBeGreaterThanOrEqual(100);
    for (const [category, count] of perCategory) {
      expect([category, count >= 8]).toEqual([category, true]);
    }
  });
});
