/*
 * Hostile reporters at once and with stray credentials. Poison reports (NUL, invalid
 * timestamps, over a cap, over the body limit, invalid JSON, unknown, malformed, expired and
 * final-run tokens) sent together with 20 good reports for 20 runs, which PostgreSQL batches:
 * every good report answers 200 and is stored, every poison gets its own answer and leaves no
 * trace. Then `Authorization` headers of every kind (ignored), the token in the wrong header or
 * in two headers, floods of 200 unknown tokens, and final-run tokens reused (409).
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { authHeader } from '../testing/fixtures';
import { errorNames, rowsOf, started, useReportBackend } from '../testing/reportHarness';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const MAX_BODY = 16 * 1024;
const GOOD = 20;

const base = { status: 'inprogress', startedAt: started };
const good = (i: number) => ({
  ...base,
  message: `good ${i}`,
  steps: [{ title: `build ${i}`, status: 'complete', startedAt: started, logs: [`built ${i}`] }],
});
const poisonStep = (patch: object) => ({
  ...base,
  message: 'poison',
  steps: [{ title: 'poison', status: 'inprogress', startedAt: started, ...patch }],
});
/** A well-formed token (base64url of 32 bytes) that no run has. */
const unknownToken = () => randomBytes(32).toString('base64url');

type Run = { id: string; token: string };
type Target = 'good run' | 'own run' | 'final run' | 'expired run' | 'unknown' | 'malformed';
interface Poison {
  name: string;
  target: Target;
  body: unknown;
  answer: number;
  /** For an accepted poison (on its own run): the message stored. */
  stored?: string;
}

const poisons: Poison[] = [
  { name: 'NUL in the message', target: 'own run', body: { ...base, message: 'a\u0000b' }, answer: 200, stored: 'a\ufffdb' },
  { name: 'lone surrogates in a log line', target: 'own run', body: { ...poisonStep({ logs: ['\ud800x\udc00'] }), message: 'c\udbffd' }, answer: 200, stored: 'c\ufffdd' },
  { name: 'links over the per-run cap', target: 'own run', body: { ...base, message: 'links', links: Array.from({ length: 9 }, (_, i) => ({ url: `https://ci.example.com/${i}` })) }, answer: 200, stored: 'links' },
  { name: 'year 10000 in UTC on a good run', target: 'good run', body: poisonStep({ startedAt: '9999-12-31T23:59:59-01:00' }), answer: 400 },
  { name: 'year 0 on its own run', target: 'own run', body: { ...base, message: 'poison', startedAt: '0000-06-01T00:00:00Z' }, answer: 400 },
  { name: 'a leap second on a good run', target: 'good run', body: poisonStep({ status: 'complete', completedAt: '2026-06-30T23:59:60Z' }), answer: 400 },
  { name: 'a log line over the cap on a good run', target: 'good run', body: poisonStep({ logs: ['x'.repeat(301)] }), answer: 400 },
  { name: 'steps over the cap on its own run', target: 'own run', body: { ...base, message: 'poison', steps: Array.from({ length: 5 }, (_, i) => ({ title: `poison ${i}`, status: 'inprogress', startedAt: started })) }, answer: 400 },
  { name: 'a body over the limit on a good run', target: 'good run', body: { ...base, message: 'poison', steps: [{ title: 'poison', status: 'inprogress', startedAt: started, logs: Array(200).fill('y'.repeat(100)) }] }, answer: 413 },
  { name: 'invalid JSON on a good run', target: 'good run', body: '{"status":"inprogress","message":"poison",', answer: 400 },
  { name: 'an unknown well-formed token', target: 'unknown', body: { ...base, message: 'poison' }, answer: 401 },
  { name: 'a malformed token', target: 'malformed', body: { ...base, message: 'poison' }, answer: 401 },
  { name: 'an expired token', target: 'expired run', body: { ...base, message: 'poison' }, answer: 401 },
  { name: 'the token of a final run', target: 'final run', body: { ...base, message: 'poison' }, answer: 409 },
];

const stray = (headers: (t: { token: string; other: string }) => Record<string, string | string[]>, answer: number, applied: 'run' | 'other' | 'none') => ({ headers, answer, applied });
const strayCases: Array<[string, ReturnType<typeof stray>]> = [
  ['Authorization: Bearer garbage, beside the token', stray(t => ({ 'x-report-token': t.token, authorization: 'Bearer garbage' }), 200, 'run')],
  ['Authorization: Basic, beside the token', stray(t => ({ 'x-report-token': t.token, authorization: 'Basic dXNlcjpwYXNz' }), 200, 'run')],
  ["Authorization: a signed-in user's token, beside the token", stray(t => ({ 'x-report-token': t.token, authorization: authHeader('admin') }), 200, 'run')],
  ['Authorization: Bearer <the report token>, beside it', stray(t => ({ 'x-report-token': t.token, authorization: `Bearer ${t.token}` }), 200, 'run')],
  ["Authorization: Bearer <another run's token>, beside the token", stray(t => ({ 'x-report-token': t.token, authorization: `Bearer ${t.other}` }), 200, 'run')],
  ['an empty Authorization, beside the token', stray(t => ({ 'x-report-token': t.token, authorization: '' }), 200, 'run')],
  ['an 8 KB Authorization, beside the token', stray(t => ({ 'x-report-token': t.token, authorization: `Bearer ${'z'.repeat(8000)}` }), 200, 'run')],
  ['two Authorization headers, beside the token', stray(t => ({ 'x-report-token': t.token, authorization: ['Bearer a', 'Basic b'] }), 200, 'run')],
  ['the token in Authorization as Token <t>', stray(t => ({ authorization: `Token ${t.token}` }), 401, 'none')],
  ['the token in report-token', stray(t => ({ 'report-token': t.token }), 401, 'none')],
  ['the token in x-report-tokens', stray(t => ({ 'x-report-tokens': t.token }), 401, 'none')],
  ['the token in x_report_token', stray(t => ({ x_report_token: t.token }), 401, 'none')],
  ['the token in x-api-key', stray(t => ({ 'x-api-key': t.token }), 401, 'none')],
  ['the token in a cookie', stray(t => ({ cookie: `x-report-token=${t.token}` }), 401, 'none')],
  ['x-report-token twice (joined by Node)', stray(t => ({ 'x-report-token': [t.token, t.token] }), 401, 'none')],
  ['x-report-token and an unknown c8-report-token: x-report-token counts', stray(t => ({ 'x-report-token': t.token, 'c8-report-token': unknownToken() }), 200, 'run')],
  ['an unknown x-report-token and a valid c8-report-token: x-report-token counts', stray(t => ({ 'x-report-token': unknownToken(), 'c8-report-token': t.token }), 401, 'none')],
  ['an empty x-report-token and a valid c8-report-token', stray(t => ({ 'x-report-token': '', 'c8-report-token': t.token }), 200, 'run')],
  ["tokens of two runs: only x-report-token's run changes", stray(t => ({ 'x-report-token': t.token, 'c8-report-token': t.other }), 200, 'run')],
  ["tokens of two runs the other way: only x-report-token's run changes", stray(t => ({ 'x-report-token': t.other, 'c8-report-token': t.token }), 200, 'other')],
];

describe.each(databases.eachSupportedId())('hostile reporters: batches and tokens on %p', databaseId => {
  const h = useReportBackend(databaseId, databases, { maxBodyBytes: MAX_BODY, maxSteps: 4, maxLogLineLength: 300, maxLinksPerRun: 3 });
  const unknown: string[] = [];

  /** A run whose token a poison uses, made final or expired as its target says. */
  async function poisonTarget(target: Target, goodRuns: Run[], copy: number): Promise<{ id?: string; token: string }> {
    if (target === 'good run') return goodRuns[copy];
    if (target === 'unknown') {
      unknown.push(unknownToken());
      return { token: unknown.at(-1)! };
    }
    if (target === 'malformed') return { token: `not-a-token-${copy}` };
    const run = await h.newRun();
    if (target === 'final run') {
      expect((await h.send(run.token, { status: 'complete', startedAt: started })).status).toBe(200);
    }
    if (target === 'expired run') {
      await h.knex('runs').where({ id: run.id }).update({ expires_at: new Date(Date.now() - 60_000) });
    }
    return run;
  }

  /** 20 good reports and each poison `copies` times, all at once; what each answered and left. */
  async function batch(list: Poison[], copies: number) {
    const goodRuns: Run[] = [];
    for (let i = 0; i < GOOD; i++) goodRuns.push(await h.newRun());
    const bystander = await h.newRun();
    const sent: Array<{ poison: Poison; run: { id?: string; token: string } }> = [];
    for (const poison of list) {
      for (let copy = 0; copy < copies; copy++) sent.push({ poison, run: await poisonTarget(poison.target, goodRuns, copy) });
    }
    const before = await h.state();
    const deliveries = h.receiver.requests.length;
    const answers = await Promise.all([
      ...goodRuns.map((run, i) => h.send(run.token, good(i))),
      ...sent.map(({ poison, run }) => h.send(run.token, poison.body)),
    ]);
    const after = await h.state();
    const goodReads = await Promise.all(goodRuns.map(run => h.read(run.id)));
    const poisonAnswers = answers.slice(GOOD);
    const ownRuns = await Promise.all(sent.map(({ run }) => (run.id ? h.read(run.id) : undefined)));
    return {
      good: answers.slice(0, GOOD).map((res, i) => [res.status, res.body.id === goodRuns[i].id]),
      stored: goodReads.map(run => [run.message, run.steps.map((s: any) => [s.title, s.logs])]),
      poisons: poisonAnswers.map((res, i) => [sent[i].poison.name, res.status, res.body?.error?.name]),
      ownRuns: sent.map(({ poison, run }, i) => {
        // A good run changes with its good report: that it holds no poison is checked below.
        if (poison.target === 'good run') return 'good run';
        // An accepted poison on its own run stored its message, cleaned.
        if (poison.stored) return ownRuns[i]?.message;
        // A refused one left its rows as they were.
        return isDeepStrictEqual(rowsOf(before, run.id ?? '-', true), rowsOf(after, run.id ?? '-', true));
      }),
      bystanderUnchanged: isDeepStrictEqual(rowsOf(before, bystander.id, true), rowsOf(after, bystander.id, true)),
      poisonInGoodRuns: JSON.stringify(goodReads).includes('poison'),
      extraDeliveries: h.receiver.requests.length - deliveries,
    };
  }

  function expectedBatch(list: Poison[], copies: number) {
    const each = list.flatMap(poison => Array<Poison>(copies).fill(poison));
    return {
      good: Array.from({ length: GOOD }, () => [200, true]),
      stored: Array.from({ length: GOOD }, (_, i) => [`good ${i}`, [[`build ${i}`, [`built ${i}`]]]]),
      poisons: each.map(poison => [poison.name, poison.answer, errorNames[poison.answer]]),
      ownRuns: each.map(poison => {
        if (poison.target === 'good run') return 'good run';
        return poison.stored ?? true;
      }),
      bystanderUnchanged: true,
      poisonInGoodRuns: false,
      extraDeliveries: 0,
    };
  }

  it.each(poisons.map(p => [p.name, p] as const))('20 good reports at once with 3 poisons: %s', async (_name, poison) => {
    expect(await batch([poison], 3)).toEqual(expectedBatch([poison], 3));
  });

  it('20 good reports at once with every poison', async () => {
    expect(await batch(poisons, 1)).toEqual(expectedBatch(poisons, 1));
  });

  it('stores the cleaned poison values of accepted batch members', async () => {
    const run = await h.newRun();
    const [res] = await Promise.all([h.send(run.token, poisons[1].body), ...Array.from({ length: 10 }, (_, i) => h.send(unknownToken(), good(i)))]);
    expect(res.status).toBe(200);
    expect((await h.read(run.id)).steps).toEqual([expect.objectContaining({ title: 'poison', logs: ['\ufffdx\ufffd'] })]);
  });

  it.each(strayCases)('%s', async (_name, c) => {
    const run = await h.newRun();
    const other = await h.newRun();
    const before = await h.state();
    const deliveries = h.receiver.requests.length;
    const res = await h.send(undefined, { ...base, message: 'stray' }, c.headers({ token: run.token, other: other.token }));
    const after = await h.state();
    const changed = (id: string) => !isDeepStrictEqual(rowsOf(before, id, true), rowsOf(after, id, true));
    expect({
      status: res.status,
      error: res.body?.error?.name,
      run: changed(run.id),
      other: changed(other.id),
      rest: isDeepStrictEqual(rowsOf(rowsOf(before, run.id, false), other.id, false), rowsOf(rowsOf(after, run.id, false), other.id, false)),
      deliveries: h.receiver.requests.length - deliveries,
    }).toEqual({ status: c.answer, error: errorNames[c.answer], run: c.applied === 'run', other: c.applied === 'other', rest: true, deliveries: 0 });
  });

  /** Reports at once with the tokens given; what they answered and whether any row changed. */
  async function flood(tokens: string[]) {
    const before = await h.state();
    const answers = await Promise.all(tokens.map(token => h.send(token, { ...base, message: 'flood' })));
    const after = await h.state();
    return { answers: answers.map(res => [res.status, res.body?.error?.name]), unchanged: isDeepStrictEqual(before, after) };
  }

  it('answers 200 unknown well-formed tokens at once with 401 each, changing nothing', async () => {
    const tokens = Array.from({ length: 200 }, unknownToken);
    unknown.push(...tokens);
    expect(await flood(tokens)).toEqual({ answers: Array(200).fill([401, 'AuthenticationError']), unchanged: true });
  });

  it('answers 200 malformed tokens at once with 401 each, changing nothing', async () => {
    const tokens = Array.from({ length: 200 }, (_, i) => (i % 2 ? `${unknownToken()}=` : `t${i}`));
    expect(await flood(tokens)).toEqual({ answers: Array(200).fill([401, 'AuthenticationError']), unchanged: true });
  });

  it('accepts a valid report in the middle of 200 unknown tokens', async () => {
    const run = await h.newRun();
    const tokens = Array.from({ length: 200 }, unknownToken);
    unknown.push(...tokens);
    const answers = await Promise.all(tokens.map((token, i) => h.send(i === 100 ? run.token : token, good(i))));
    expect(answers.map(res => res.status)).toEqual(tokens.map((_, i) => (i === 100 ? 200 : 401)));
    expect((await h.read(run.id)).message).toBe('good 100');
  });

  it.each([
    ['a valid report', { ...base, message: 'late' }, 'x-report-token'],
    ['the final report replayed', { status: 'complete', startedAt: started, message: 'late' }, 'x-report-token'],
    ['a valid report through c8-report-token', { ...base, message: 'late' }, 'c8-report-token'],
    ['an invalid body (409 before 400)', { status: 'weird', message: 'late' }, 'x-report-token'],
    ['a body that is not JSON', '{"status":', 'x-report-token'],
  ])('answers 409 to a valid token reused after its run reported final: %s', async (_name, body, header) => {
    const run = await h.newRun();
    expect((await h.send(run.token, { status: 'failed', startedAt: started, message: 'done' })).status).toBe(200);
    const before = await h.state();
    const res = await h.send(run.token, body, {}, header);
    expect({ status: res.status, error: res.body.error?.name, unchanged: isDeepStrictEqual(before, await h.state()) }).toEqual({ status: 409, error: 'ConflictError', unchanged: true });
    expect((await h.read(run.id)).message).toBe('done');
  });

  it('answers 409 to 20 reuses at once of the token of a cancelled run', async () => {
    const run = await h.newRun();
    const cancel = await request(h.server).post(`/api/self-service-actions/runs/${run.id}/cancel`).set('authorization', authHeader('allowed')).send({});
    expect(cancel.status).toBe(200);
    const before = await h.state();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => h.send(run.token, good(i))));
    expect(answers.map(res => [res.status, res.body.error?.name])).toEqual(Array(20).fill([409, 'ConflictError']));
    expect(await h.state()).toEqual(before);
  });

  it('leaves no report token, known or unknown, in the database or the logs', async () => {
    expect(unknown.length).toBeGreaterThanOrEqual(400);
    expect(await h.leaks(unknown)).toEqual([]);
    expect(h.logs.text()).toContain('Refused');
  });
});
