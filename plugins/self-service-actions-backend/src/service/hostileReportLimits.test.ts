/*
 * Hostile reporters against every cap, table-driven, with small limits: `report.maxSteps`,
 * `maxLogLinesPerStep`, `maxLogLineLength`, `maxLinksPerRun`, `maxLogBytesPerRun` and
 * `maxBodyBytes`, each just under, at and just over the limit, in one report and across
 * reports. Per DESIGN section 15 a report over a per-run cap (links, log lines, log bytes) is
 * accepted and trimmed; one over a per-report limit (steps, line length) answers 400 and one
 * over the body limit 413, changing nothing.
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
const limits = {
  maxSteps: 4,
  maxLogLinesPerStep: 5,
  maxLogLineLength: 300,
  maxLinksPerRun: 3,
  maxLogBytesPerRun: 1000,
  maxBodyBytes: 16 * 1024,
};

const base = { status: 'inprogress', startedAt: started };
const named = (title: string, logs?: string[]) => ({ title, status: 'inprogress', startedAt: started, ...(logs ? { logs } : {}) });
const withSteps = (...steps: object[]) => ({ ...base, steps });
const titled = (n: number, prefix = 'step ') => Array.from({ length: n }, (_, i) => named(`${prefix}${i}`));
const lines = (n: number, width = 1) => Array.from({ length: n }, (_, i) => `${i}`.padEnd(width, '.'));
const withLinks = (urls: number[], title = 'CI') => ({
  ...base,
  links: urls.map(i => ({ title, url: `https://ci.example.com/${i}` })),
});
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** A valid report of exactly `bytes` bytes (JSON allows trailing white space). */
const ofSize = (bytes: number) => {
  const text = JSON.stringify({ ...base, message: 'sized' });
  return text + ' '.repeat(bytes - Buffer.byteLength(text));
};

/** Each step as [title, length of each log line, lines dropped]. */
const shape = (run: any) =>
  run.steps.map((s: any) => [s.title, s.logs.map((line: string) => line.length), s.droppedLogLines ?? 0]);
const titles = (run: any) => run.steps.map((s: any) => s.title);
const logsOf = (run: any) => run.steps[0].logs;
const linkUrls = (run: any) => run.links.map((l: any) => [l.title, l.url.replace('https://ci.example.com/', '')]);
const message = (run: any) => run.message;

const cases: ReportCase[] = [];
const add = (kind: string, list: Array<Omit<ReportCase, 'kind'>>) => list.forEach(c => cases.push({ kind, ...c }));
const once = (body: unknown) => () => body;

add('maxSteps (4)', [
  { name: '3 steps, just under', body: once(withSteps(...titled(3))), answer: 200, stored: [titles, ['step 0', 'step 1', 'step 2']] },
  { name: '4 steps, at the limit', body: once(withSteps(...titled(4))), answer: 200, stored: [titles, ['step 0', 'step 1', 'step 2', 'step 3']] },
  { name: '5 steps, just over', body: once(withSteps(...titled(5))), answer: 400 },
  { name: '3 stored, then 1 known and 1 new: at the limit', before: [once(withSteps(...titled(3)))], body: once(withSteps(named('step 0'), named('new'))), answer: 200, stored: [titles, ['step 0', 'step 1', 'step 2', 'new']] },
  { name: '4 stored, then the same 4 again', before: [once(withSteps(...titled(4)))], body: once(withSteps(...titled(4))), answer: 200, stored: [titles, ['step 0', 'step 1', 'step 2', 'step 3']] },
  { name: '4 stored, then 1 new: just over', before: [once(withSteps(...titled(4)))], body: once(withSteps(named('new'))), answer: 400 },
]);

add('maxLogLinesPerStep (5)', [
  { name: '4 lines, just under', body: once(withSteps(named('a', lines(4)))), answer: 200, stored: [logsOf, ['0', '1', '2', '3']] },
  { name: '5 lines, at the limit', body: once(withSteps(named('a', lines(5)))), answer: 200, stored: [shape, [['a', [1, 1, 1, 1, 1], 0]]] },
  { name: '6 lines, just over: the newest 5 kept', body: once(withSteps(named('a', lines(6)))), answer: 200, stored: [logsOf, ['1', '2', '3', '4', '5']] },
  { name: '400 lines: the newest 5 kept, 395 dropped', body: once(withSteps(named('a', lines(400)))), answer: 200, stored: [shape, [['a', [3, 3, 3, 3, 3], 395]]] },
]);

add('maxLogLineLength (300)', [
  { name: '299 characters, just under', body: once(withSteps(named('a', ['x'.repeat(299)]))), answer: 200, stored: [shape, [['a', [299], 0]]] },
  { name: '300 characters, at the limit', body: once(withSteps(named('a', ['x'.repeat(300)]))), answer: 200, stored: [shape, [['a', [300], 0]]] },
  { name: '301 characters, just over', body: once(withSteps(named('a', ['x'.repeat(300), 'x'.repeat(301)]))), answer: 400 },
  { name: '301 three-byte characters', body: once(withSteps(named('a', ['€'.repeat(301)]))), answer: 400 },
  { name: '300 three-byte characters (900 bytes)', body: once(withSteps(named('a', ['€'.repeat(300)]))), answer: 200, stored: [logsOf, ['€'.repeat(300)]] },
]);

add('maxLogBytesPerRun (1000)', [
  { name: '999 bytes, just under', body: once(withSteps(named('a', [...lines(3, 250), 'x'.repeat(249)]))), answer: 200, stored: [shape, [['a', [250, 250, 250, 249], 0]]] },
  { name: '1000 bytes, at the limit', body: once(withSteps(named('a', lines(4, 250)))), answer: 200, stored: [shape, [['a', [250, 250, 250, 250], 0]]] },
  { name: '1001 bytes, just over: the oldest line goes', body: once(withSteps(named('a', [...lines(3, 250), 'x'.repeat(251)]))), answer: 200, stored: [shape, [['a', [250, 250, 251], 1]]] },
  { name: '1000 bytes of two-byte characters', body: once(withSteps(named('a', ['é'.repeat(250), 'é'.repeat(250)]))), answer: 200, stored: [shape, [['a', [250, 250], 0]]] },
  { name: '1002 bytes of three-byte characters', body: once(withSteps(named('a', ['€'.repeat(167), '€'.repeat(167)]))), answer: 200, stored: [shape, [['a', [167], 1]]] },
  { name: '1000 bytes stored, then 1 byte in a new step: the other step loses its oldest line', before: [once(withSteps(named('a', lines(4, 250))))], body: once(withSteps(named('b', ['x']))), answer: 200, stored: [shape, [['a', [250, 250, 250], 1], ['b', [1], 0]]] },
  { name: '750 bytes stored, then 250 in a new step: at the limit', before: [once(withSteps(named('a', lines(3, 250))))], body: once(withSteps(named('b', lines(1, 250)))), answer: 200, stored: [shape, [['a', [250, 250, 250], 0], ['b', [250], 0]]] },
]);

add('maxLinksPerRun (3)', [
  { name: '2 links, just under', body: once(withLinks([0, 1])), answer: 200, stored: [linkUrls, [['CI', '0'], ['CI', '1']]] },
  { name: '3 links, at the limit', body: once(withLinks([0, 1, 2])), answer: 200, stored: [linkUrls, [['CI', '0'], ['CI', '1'], ['CI', '2']]] },
  { name: '4 links, just over: the first 3 kept', body: once(withLinks([0, 1, 2, 3])), answer: 200, stored: [linkUrls, [['CI', '0'], ['CI', '1'], ['CI', '2']]] },
  { name: '50 links: the first 3 kept', body: once(withLinks(range(0, 50))), answer: 200, stored: [linkUrls, [['CI', '0'], ['CI', '1'], ['CI', '2']]] },
  { name: '2 stored, then 2 new: the first new one kept', before: [once(withLinks([0, 1]))], body: once(withLinks([5, 6])), answer: 200, stored: [linkUrls, [['CI', '0'], ['CI', '1'], ['CI', '5']]] },
  { name: '3 stored, then a known one renamed and a new one', before: [once(withLinks([0, 1, 2]))], body: once(withLinks([1, 9], 'renamed')), answer: 200, stored: [linkUrls, [['CI', '0'], ['renamed', '1'], ['CI', '2']]] },
]);

add('maxBodyBytes (16 KiB)', [
  { name: 'one byte under', body: once(ofSize(limits.maxBodyBytes - 1)), answer: 200, stored: [message, 'sized'] },
  { name: 'at the limit', body: once(ofSize(limits.maxBodyBytes)), answer: 200, stored: [message, 'sized'] },
  { name: 'one byte over', body: once(ofSize(limits.maxBodyBytes + 1)), answer: 413 },
  { name: '1 MiB', body: once(ofSize(1024 * 1024)), answer: 413 },
]);

describe.each(databases.eachSupportedId())('hostile reporters: every cap on %p', databaseId => {
  const h = useReportBackend(databaseId, databases, limits);

  it.each(cases.map(c => [c.kind, c.name, c] as const))('%s: %s', async (_kind, _name, c) => {
    expect(await runReportCase(h, c)).toEqual(expectedOutcome(c));
  });

  it('leaves no report token in the database or the logs', async () => {
    expect(h.tokens.length).toBeGreaterThan(0);
    expect(await h.leaks()).toEqual([]);
  });
});
