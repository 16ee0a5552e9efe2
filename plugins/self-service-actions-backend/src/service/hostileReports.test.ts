/*
 * Hostile reporters, table-driven: every field of a status report against poison values
 * (wrong types, null, empty and over-long strings, NUL, lone surrogates, control characters,
 * timestamps outside years 1-9999, leap seconds, no offset, garbage, URLs that are not http(s),
 * the report's own token), on a fresh run each. A refused report answers 400 InputError and
 * changes no row; an accepted one stores the value cleaned (U+FFFD for NUL and lone
 * surrogates, `***` for the token). hostileInput.test.ts holds the report cases not repeated
 * here; hostileReportLimits.test.ts the caps, hostileReportBatches.test.ts batches and tokens.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import {
  expectedOutcome,
  ReportCase,
  runReportCase,
  started,
  useReportBackend,
} from '../testing/reportHarness';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const MAX_LINE = 300;

const base = { status: 'inprogress', startedAt: started };
const root = (patch: object) => ({ ...base, ...patch });
const link = (patch: object) => root({ links: [{ title: 'CI', url: 'https://ci.example.com/1', ...patch }] });
const step = (patch: object) => root({ steps: [{ title: 'Build', status: 'inprogress', startedAt: started, logs: ['ok'], ...patch }] });
const log = (line: unknown) => step({ logs: [line] });
/** A `javascript:` URL (spelt so that lint's no-script-url lets a test hold one). */
const scriptUrl = (rest: string) => ['javascript', rest].join(':');
/** The token with its first character written as a JSON escape (`\u0041` for `A`). */
const escapedFirst = (token: string) => `\\u${token.charCodeAt(0).toString(16).padStart(4, '0')}${token.slice(1)}`;
/** A body as raw text, for what JSON.stringify never writes. */
const raw = (text: string) => `{"status":"inprogress","startedAt":"${started}",${text}}`;

const cases: ReportCase[] = [];
type Poison = [name: string, body: (token: string) => unknown, stored?: ReportCase['stored']];
const field = (kind: string, list: Poison[]) =>
  list.forEach(([name, body, stored]) => cases.push({ kind, name, body, answer: stored ? 200 : 400, stored }));
const refuse = (name: string, body: unknown): Poison => [name, () => body];
const accept = (name: string, body: (token: string) => unknown, pick: (run: any) => unknown, value: unknown): Poison => [
  name,
  body,
  [pick, value],
];

const message = (run: any) => run.message;
const links = (run: any) => run.links;
const firstLink = (run: any) => run.links[0];
const steps = (run: any) => run.steps.map((s: any) => ({ title: s.title, status: s.status, logs: s.logs }));
const firstStep = (run: any) => run.steps[0];
const firstLogs = (run: any) => run.steps[0].logs;
const stepTitle = (run: any) => run.steps[0].title;
const startedAt = (run: any) => run.startedAt;
const completedAt = (run: any) => run.completedAt;
const stepCompletedAt = (run: any) => run.steps[0].completedAt;

field('status', [
  refuse('a boolean', { status: true, startedAt: started }),
  refuse('an object', { status: { value: 'complete' }, startedAt: started }),
  refuse('an array', { status: ['complete'], startedAt: started }),
  refuse('an empty string', { status: '', startedAt: started }),
  refuse('with a NUL', { status: 'complete\u0000', startedAt: started }),
  refuse('with a lone surrogate', { status: 'complete\ud800', startedAt: started }),
  refuse('with a leading space', { status: ' inprogress', startedAt: started }),
  refuse('over-long', { status: 'inprogress'.repeat(1000), startedAt: started }),
]);

field('startedAt', [
  refuse('null', { status: 'inprogress', startedAt: null }),
  refuse('a boolean', { status: 'inprogress', startedAt: true }),
  refuse('an object', { status: 'inprogress', startedAt: { date: started } }),
  refuse('an array', { status: 'inprogress', startedAt: [started] }),
  refuse('year 0', { status: 'inprogress', startedAt: '0000-12-31T23:59:59Z' }),
  refuse('year 10000', { status: 'inprogress', startedAt: '10000-01-01T00:00:00Z' }),
  refuse('year 9999 that is 10000 in UTC', { status: 'inprogress', startedAt: '9999-12-31T23:30:00-01:00' }),
  refuse('year 1 that is year 0 in UTC', { status: 'inprogress', startedAt: '0001-01-01T00:30:00+01:00' }),
  accept('the last second of year 9999', () => ({ status: 'inprogress', startedAt: '9999-12-31T23:59:59Z' }), startedAt, '9999-12-31T23:59:59.000Z'),
  accept('the first second of year 1', () => ({ status: 'inprogress', startedAt: '0001-01-01T00:00:00Z' }), startedAt, '0001-01-01T00:00:00.000Z'),
  refuse('February 30', { status: 'inprogress', startedAt: '2026-02-30T10:00:00Z' }),
  refuse('hour 24', { status: 'inprogress', startedAt: '2026-05-10T24:00:00Z' }),
  refuse('a date only', { status: 'inprogress', startedAt: '2026-05-10' }),
  refuse('an expanded year', { status: 'inprogress', startedAt: '+002026-05-10T15:35:42Z' }),
  refuse('with a trailing NUL', { status: 'inprogress', startedAt: `${started}\u0000` }),
  refuse('over-long', { status: 'inprogress', startedAt: `${started}${'0'.repeat(5000)}` }),
  refuse('offset +24:00', { status: 'inprogress', startedAt: '2026-05-10T15:35:42+24:00' }),
  accept('lower-case t and z (RFC 3339)', () => ({ status: 'inprogress', startedAt: '2026-05-10t15:35:42z' }), startedAt, '2026-05-10T15:35:42.000Z'),
  accept('nanoseconds (kept to the millisecond)', () => ({ status: 'inprogress', startedAt: '2026-05-10T15:35:42.123456789Z' }), startedAt, '2026-05-10T15:35:42.123Z'),
]);

field('completedAt', [
  accept('null on a final report (the server time)', () => ({ status: 'complete', startedAt: started, completedAt: null }), run => typeof run.completedAt, 'string'),
  accept('null on a progress report', () => root({ completedAt: null }), completedAt, null),
  refuse('a number', root({ completedAt: 0 })),
  refuse('a boolean', root({ completedAt: false })),
  refuse('an object', root({ completedAt: {} })),
  refuse('an empty string', root({ completedAt: '' })),
  refuse('a leap second', { status: 'complete', startedAt: started, completedAt: '2026-06-30T23:59:60Z' }),
  refuse('no offset', { status: 'complete', startedAt: started, completedAt: '2026-05-10T15:36:00' }),
  refuse('year 10000', { status: 'complete', startedAt: started, completedAt: '10000-01-01T00:00:00Z' }),
  accept('the last millisecond of year 9999', () => ({ status: 'complete', startedAt: started, completedAt: '9999-12-31T23:59:59.999Z' }), completedAt, '9999-12-31T23:59:59.999Z'),
]);

field('message', [
  accept('null', () => root({ message: null }), message, null),
  refuse('a boolean', root({ message: true })),
  refuse('an object', root({ message: { text: 'x' } })),
  refuse('an array', root({ message: ['x'] })),
  accept('an empty string', () => root({ message: '' }), message, ''),
  accept('exactly 4096 characters with a NUL', () => root({ message: `${'m'.repeat(4095)}\u0000` }), message, `${'m'.repeat(4095)}\ufffd`),
  accept('a lone high surrogate', () => root({ message: 'a\ud800b' }), message, 'a\ufffdb'),
  accept('a lone low surrogate at the end', () => root({ message: 'a\udc00' }), message, 'a\ufffd'),
  accept('a surrogate pair (kept)', () => root({ message: 'ok \ud83d\ude00' }), message, 'ok \ud83d\ude00'),
  accept('4096 emoji (4096 code points, 8192 UTF-16 units)', () => root({ message: '\ud83d\ude00'.repeat(4096) }), message, '\ud83d\ude00'.repeat(4096)),
  accept('terminal escapes and a bell (kept)', () => root({ message: '\u001b[31mred\u001b[0m\u0007' }), message, '\u001b[31mred\u001b[0m\u0007'),
  accept('CR and LF (kept)', () => root({ message: 'one\r\ntwo' }), message, 'one\r\ntwo'),
  refuse('a raw control byte inside the JSON string', raw('"message":"a\u0001b"')),
  accept('the report token', token => root({ message: `token=${token}` }), message, 'token=***'),
  // a JSON escape hides the token from a search of the raw text: it is scrubbed once parsed
  accept('the report token behind a JSON escape', token => raw(`"message":"tok ${escapedFirst(token)}"`), message, 'tok ***'),
]);

field('the report token behind a JSON escape', [
  accept('in a log line', token => raw(`"steps":[{"title":"Build","status":"inprogress","startedAt":"${started}","logs":["${escapedFirst(token)}"]}]`), firstLogs, ['***']),
  // refused for the duplicate title, and the refusal (answered, audited) quotes *** only
  [
    'as two step titles',
    token => {
      const title = escapedFirst(token);
      const stepText = `{"title":"${title}","status":"inprogress","startedAt":"${started}"}`;
      return raw(`"steps":[${stepText},${stepText}]`);
    },
  ],
]);

field('the whole body', [
  refuse('JSON null', 'null'),
  refuse('a JSON list', '[]'),
  refuse('a JSON string', '"inprogress"'),
  refuse('a JSON number', '5'),
  refuse('5000 nested lists', raw(`"message":${'['.repeat(5000)}${']'.repeat(5000)}`)),
  accept('a byte order mark before the JSON', () => `\ufeff${JSON.stringify(base)}`, run => run.status, 'inprogress'),
  accept('a key given twice (the last counts)', () => `{"status":"inprogress","status":"complete","startedAt":"${started}"}`, run => run.status, 'complete'),
]);

field('links', [
  refuse('null', root({ links: null })),
  refuse('an object', root({ links: { url: 'https://ci.example.com' } })),
  refuse('a number', root({ links: 3 })),
  refuse('a boolean', root({ links: true })),
  accept('an empty list', () => root({ links: [] }), links, []),
  refuse('an item that is a string', root({ links: ['https://ci.example.com'] })),
  refuse('an item that is null', root({ links: [null] })),
  refuse('an item without url', root({ links: [{ title: 'CI' }] })),
  refuse('an item that is a list', root({ links: [['https://ci.example.com']] })),
]);

field('links[].title', [
  refuse('a number', link({ title: 5 })),
  refuse('null', link({ title: null })),
  refuse('an object', link({ title: {} })),
  accept('an empty string', () => link({ title: '' }), firstLink, { title: '', url: 'https://ci.example.com/1' }),
  refuse('201 characters', link({ title: 't'.repeat(201) })),
  accept('200 characters', () => link({ title: 't'.repeat(200) }), firstLink, { title: 't'.repeat(200), url: 'https://ci.example.com/1' }),
  accept('a NUL and a lone surrogate', () => link({ title: 'a\u0000b\udfff' }), firstLink, { title: 'a\ufffdb\ufffd', url: 'https://ci.example.com/1' }),
  accept('the report token', token => link({ title: token }), firstLink, { title: '***', url: 'https://ci.example.com/1' }),
]);

field('links[].url', [
  refuse('a javascript URL', link({ url: scriptUrl('alert(document.cookie)') })),
  refuse('a javascript URL quoting https', link({ url: scriptUrl('//https://ci.example.com/%0aalert(1)') })),
  refuse('a data URL', link({ url: 'data:text/html,<script>alert(1)</script>' })),
  refuse('relative', link({ url: '/jobs/42' })),
  refuse('protocol-relative', link({ url: '//evil.example/x' })),
  refuse('an ftp URL', link({ url: 'ftp://ci.example.com/log' })),
  refuse('with a leading space', link({ url: ' https://ci.example.com/1' })),
  refuse('with a NUL', link({ url: 'https://ci.example.com/\u0000' })),
  refuse('with a space', link({ url: 'https://ci.example.com/a b' })),
  refuse('with non-ASCII characters', link({ url: 'https://ex\u00e4mple.com/\u00fc' })),
  refuse('an empty string', link({ url: '' })),
  refuse('null', link({ url: null })),
  refuse('a number', link({ url: 42 })),
  accept('plain http', () => link({ url: 'http://ci.example.com/2' }), firstLink, { title: 'CI', url: 'http://ci.example.com/2' }),
  accept('the report token in the query', token => link({ url: `https://ci.example.com/?t=${token}` }), firstLink, { title: 'CI', url: 'https://ci.example.com/?t=***' }),
]);

field('steps', [
  refuse('null', root({ steps: null })),
  refuse('a string', root({ steps: 'Build' })),
  refuse('a number', root({ steps: 1 })),
  accept('an empty list', () => root({ steps: [] }), steps, []),
  refuse('an item that is null', root({ steps: [null] })),
  refuse('an item that is a string', root({ steps: ['Build'] })),
  refuse('an item that is a list', root({ steps: [[]] })),
]);

field('steps[].title', [
  refuse('an empty string', step({ title: '' })),
  refuse('null', step({ title: null })),
  refuse('a boolean', step({ title: true })),
  refuse('an array', step({ title: ['Build'] })),
  accept('a single space', () => step({ title: ' ' }), stepTitle, ' '),
  accept('200 characters', () => step({ title: 's'.repeat(200) }), stepTitle, 's'.repeat(200)),
  accept('200 emoji', () => step({ title: '\ud83d\ude80'.repeat(200) }), stepTitle, '\ud83d\ude80'.repeat(200)),
  accept('a NUL', () => step({ title: 'Build\u0000' }), stepTitle, 'Build\ufffd'),
  accept('control characters (kept)', () => step({ title: 'Build\u0008\u001b[2K' }), stepTitle, 'Build\u0008\u001b[2K'),
  refuse('two titles that become one once cleaned', root({ steps: [{ title: 'a\u0000', status: 'inprogress', startedAt: started }, { title: 'a\ud800', status: 'inprogress', startedAt: started }] })),
  accept('the report token', token => step({ title: `Use ${token}` }), stepTitle, 'Use ***'),
]);

field('steps[].status', [
  refuse('a number', step({ status: 1 })),
  refuse('null', step({ status: null })),
  refuse('an empty string', step({ status: '' })),
  refuse('a boolean', step({ status: false })),
  refuse('an array', step({ status: ['complete'] })),
  refuse('with a NUL', step({ status: 'complete\u0000' })),
]);

field('steps[].startedAt', [
  refuse('null', step({ startedAt: null })),
  refuse('a number', step({ startedAt: Date.parse(started) })),
  refuse('a leap second', step({ startedAt: '2026-12-31T23:59:60Z' })),
  refuse('no offset', step({ startedAt: '2026-05-10T15:35:42.714' })),
  refuse('year 0', step({ startedAt: '0000-01-01T00:00:00Z' })),
  refuse('year 9999 that is 10000 in UTC', step({ startedAt: '9999-12-31T23:59:59-00:30' })),
  refuse('missing', root({ steps: [{ title: 'Build', status: 'inprogress' }] })),
]);

field('steps[].completedAt', [
  accept('null', () => step({ completedAt: null }), stepCompletedAt, null),
  refuse('garbage', step({ completedAt: 'later' })),
  refuse('a number', step({ completedAt: 1 })),
  refuse('a leap second', step({ status: 'complete', completedAt: '2026-06-30T23:59:60+00:00' })),
  refuse('no offset', step({ status: 'complete', completedAt: '2026-05-10 15:36:00' })),
  refuse('year 10000 in UTC', step({ status: 'complete', completedAt: '9999-12-31T23:59:59-05:00' })),
  accept('year 9999', () => step({ status: 'complete', completedAt: '9999-12-31T18:59:59-05:00' }), stepCompletedAt, '9999-12-31T23:59:59.000Z'),
]);

field('steps[].logs', [
  refuse('null', step({ logs: null })),
  refuse('an object', step({ logs: { 0: 'line' } })),
  refuse('a number', step({ logs: 3 })),
  refuse('a boolean', step({ logs: true })),
  accept('an empty list', () => step({ logs: [] }), firstLogs, []),
  refuse('nested lists', step({ logs: [['line']] })),
]);

field('steps[].logs[]', [
  refuse('a number', log(5)),
  refuse('null', log(null)),
  refuse('an object', log({ line: 'x' })),
  refuse('a boolean', log(true)),
  accept('an empty line', () => log(''), firstLogs, ['']),
  accept('NULs', () => log('\u0000a\u0000'), firstLogs, ['\ufffda\ufffd']),
  accept('lone surrogates', () => log('\udbff\u0041\udc00'), firstLogs, ['\ufffdA\ufffd']),
  accept('terminal escapes (kept)', () => log('\u001b[1;32mPASS\u001b[0m\t\u000b\u000c'), firstLogs, ['\u001b[1;32mPASS\u001b[0m\t\u000b\u000c']),
  accept('a line with newlines stays one line', () => log('a\nb\r\nc'), firstLogs, ['a\nb\r\nc']),
  accept(`${MAX_LINE} characters with a NUL`, () => log(`${'l'.repeat(MAX_LINE - 1)}\u0000`), firstLogs, [`${'l'.repeat(MAX_LINE - 1)}\ufffd`]),
  accept('the report token', token => step({ logs: [`export TOKEN=${token}`, token] }), firstStep, expect.objectContaining({ logs: ['export TOKEN=***', '***'] })),
]);

describe.each(databases.eachSupportedId())('hostile reporters: every field on %p', databaseId => {
  const h = useReportBackend(databaseId, databases, {
    maxBodyBytes: 64 * 1024,
    maxSteps: 10,
    maxLogLineLength: MAX_LINE,
  });

  it.each(cases.map(c => [c.kind, c.name, c] as const))('%s: %s', async (_kind, _name, c) => {
    expect(await runReportCase(h, c)).toEqual(expectedOutcome(c));
  });

  it('leaves no report token in the database or the logs, except as ***', async () => {
    expect(h.tokens.length).toBeGreaterThan(0);
    expect(await h.leaks()).toEqual([]);
    expect(JSON.stringify(await h.knex('runs').select('message'))).toContain('token=***');
    expect(h.logs.text()).toContain('self-service-actions');
  });
});
