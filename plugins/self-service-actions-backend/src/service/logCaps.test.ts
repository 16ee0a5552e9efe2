/*
 * report.maxLogBytesPerRun through the real router on both databases: a report that would
 * pass it is accepted and trimmed, the oldest lines of the run first, and each step says how
 * many it lost; alone, and inside the batches PostgreSQL makes of concurrent reports.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { anyoneMayRun } from '../testing/sampleAction';
import { TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const started = '2026-05-10T15:35:42.714+00:00';
const MAX_BYTES = 200;
/** Twenty-byte lines (UTF-8), `é` being two bytes. */
const lines = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}é${String(i).padStart(3, '0')}`.padEnd(19, '.'));

describe.each(databases.eachSupportedId())('report.maxLogBytesPerRun on %p', databaseId => {
  let knex: Knex;
  let server: any;
  const receiver = new TestReceiver().on('/ok', () => ({ status: 202 }));
  const api = (path: string) => `/api/self-service-actions${path}`;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    const url = await receiver.start();
    const backend = await startPluginBackend({
      knex,
      selfServiceActions: {
        report: { maxLogBytesPerRun: MAX_BYTES, maxLogLinesPerStep: 8 },
        actions: [anyoneMayRun('build', { method: { type: 'Webhook', url: `${url}/ok` } })],
      },
    });
    server = backend.server;
  });

  afterAll(() => receiver.stop());

  async function newRun(): Promise<{ id: string; token: string }> {
    const res = await request(server).post(api('/actions/build/runs')).set('authorization', authHeader('allowed')).send({});
    expect(res.status).toBe(201);
    // Runs may be created together: the token is the one sent for this run.
    const hook = receiver.requests.find(r => r.body.run.id === res.body.id)!;
    return { id: res.body.id, token: hook.body.reportToken };
  }

  const report = (token: string, steps: Array<{ title: string; logs: string[] }>) =>
    request(server)
      .post(api('/report'))
      .set('x-report-token', token)
      .send({ status: 'inprogress', startedAt: started, steps: steps.map(s => ({ ...s, status: 'inprogress', startedAt: started })) });

  const read = async (id: string) =>
    (await request(server).get(api(`/runs/${id}`)).set('authorization', authHeader('allowed'))).body;

  const bytesOf = (steps: Array<{ logs: string[] }>) =>
    steps.reduce((sum, s) => sum + s.logs.reduce((n, line) => n + Buffer.byteLength(line), 0), 0);

  it('accepts a report that passes the cap and drops the oldest lines of the run, in a step it did not name', async () => {
    expect(Buffer.byteLength(lines('a', 1)[0])).toBe(20);
    const run = await newRun();
    expect((await report(run.token, [{ title: 'Build', logs: lines('build', 6) }])).status).toBe(200);
    const second = await report(run.token, [{ title: 'Deploy', logs: lines('deploy', 7) }]);
    expect(second.status).toBe(200);
    const shown = await read(run.id);
    // 13 lines of 20 bytes for 200: Build's 3 oldest go.
    expect(shown.steps).toEqual([
      expect.objectContaining({ title: 'Build', logs: lines('build', 6).slice(3), logCount: 3, droppedLogLines: 3 }),
      expect.objectContaining({ title: 'Deploy', logs: lines('deploy', 7), logCount: 7 }),
    ]);
    expect(shown.steps[1]).not.toHaveProperty('droppedLogLines');
    expect(bytesOf(shown.steps)).toBeLessThanOrEqual(MAX_BYTES);
    // Lists have the count without the lines.
    const list = (await request(server).get(api('/runs?actionId=build')).set('authorization', authHeader('allowed'))).body;
    expect(list.items.find((r: { id: string }) => r.id === run.id).steps[0]).toMatchObject({ logCount: 3, droppedLogLines: 3 });
    expect(await knex('run_steps').where({ run_id: run.id }).orderBy('position').pluck('dropped_log_lines')).toEqual([3, 0]);
  });

  it('counts the lines maxLogLinesPerStep drops, and a resent whole log replaces the count', async () => {
    const run = await newRun();
    await report(run.token, [{ title: 'Build', logs: lines('b', 10) }]);
    expect((await read(run.id)).steps[0]).toMatchObject({ logs: lines('b', 10).slice(2), droppedLogLines: 2 });
    await report(run.token, [{ title: 'Build', logs: lines('b', 4) }]);
    const step = (await read(run.id)).steps[0];
    expect(step.logs).toEqual(lines('b', 4));
    expect(step).not.toHaveProperty('droppedLogLines');
  });

  it('trims each run of a concurrent batch of reports by its own logs only', async () => {
    const runs = await Promise.all(Array.from({ length: 6 }, () => newRun()));
    for (const run of runs) {
      await report(run.token, [{ title: 'Build', logs: lines('build', 8) }]);
    }
    // Together, as PostgreSQL batches them: run i adds i + 2 lines to a second step.
    const results = await Promise.all(
      runs.map((run, i) => report(run.token, [{ title: 'Deploy', logs: lines(`deploy${i}`, i + 2) }])),
    );
    expect(results.map(r => r.status)).toEqual(Array(runs.length).fill(200));
    for (const [i, run] of runs.entries()) {
      const shown = await read(run.id);
      const excessLines = Math.max(0, 8 + i + 2 - MAX_BYTES / 20);
      expect(shown.steps[0]).toMatchObject({ title: 'Build', logs: lines('build', 8).slice(excessLines) });
      expect(shown.steps[0].droppedLogLines ?? 0).toBe(excessLines);
      expect(shown.steps[1]).toMatchObject({ title: 'Deploy', logs: lines(`deploy${i}`, i + 2) });
      expect(bytesOf(shown.steps)).toBeLessThanOrEqual(MAX_BYTES);
    }
  });

  it('keeps one run within the cap when concurrent reports of it add steps, losing only its oldest lines', async () => {
    const run = await newRun();
    const titles = Array.from({ length: 5 }, (_, i) => `Step ${i}`);
    const results = await Promise.all(titles.map(title => report(run.token, [{ title, logs: lines(title, 4) }])));
    expect(results.map(r => r.status)).toEqual(Array(titles.length).fill(200));
    const shown = await read(run.id);
    expect(shown.steps).toHaveLength(5);
    // 20 lines reported, 10 fit: every line is kept or counted, and the kept ones are the newest.
    const kept = shown.steps.reduce((n: number, s: { logs: string[] }) => n + s.logs.length, 0);
    const dropped = shown.steps.reduce((n: number, s: { droppedLogLines?: number }) => n + (s.droppedLogLines ?? 0), 0);
    expect(kept).toBe(MAX_BYTES / 20);
    expect(kept + dropped).toBe(20);
    expect(bytesOf(shown.steps)).toBe(MAX_BYTES);
    const lastStep = shown.steps.at(-1);
    expect(lastStep.logs).toEqual(lines(lastStep.title, 4));
    expect(lastStep).not.toHaveProperty('droppedLogLines');
  });
});
