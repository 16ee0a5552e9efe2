import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import { DatabaseRunStore } from './DatabaseRunStore';
import { sampleRun } from '../testing/sampleAction';
import { EXPIRED, DISPATCHABLE_STATUSES, OPEN_STATUSES } from '../runs/lifecycle';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });

const newRun = sampleRun;

describe.each(databases.eachSupportedId())('DatabaseRunStore on %p', databaseId => {
  async function createStore() {
    const knex = await databases.init(databaseId);
    const store = await DatabaseRunStore.create({
      database: mockServices.database({ knex, migrations: { skip: false } }),
    });
    return { knex, store };
  }

  it('stores a run with its token hash and reads it back', async () => {
    const { store, knex } = await createStore();
    const run = newRun();
    await store.insertRun(run, 'a'.repeat(64));
    const read = await store.getRun(run.id);
    expect(read).toEqual({ ...run, steps: [] });
    expect(await store.findRunIdByTokenHash('a'.repeat(64))).toBe(run.id);
    expect(await store.findRunIdByTokenHash('b'.repeat(64))).toBeUndefined();
    const tokenRows = await knex('run_tokens').select();
    expect(tokenRows).toEqual([expect.objectContaining({ token_hash: 'a'.repeat(64) })]);
  });

  it('adds steps in order of first appearance and updates known ones', async () => {
    const { store } = await createStore();
    const run = newRun();
    await store.insertRun(run, randomUUID());
    const t0 = new Date('2026-01-01T10:00:00.000Z');
    await store.updateRun(run.id, () => ({
      run: { message: 'first' },
      steps: [
        { title: 'Build', status: 'inprogress', startedAt: t0, completedAt: null, logs: ['a'] },
        { title: 'Deploy', status: 'inprogress', startedAt: t0, completedAt: null, logs: [] },
      ],
    }));
    const updated = await store.updateRun(run.id, current => {
      expect(current.steps.map(s => s.title)).toEqual(['Build', 'Deploy']);
      return {
        run: { status: 'complete', completedAt: t0 },
        steps: [
          { title: 'Verify', status: 'complete', startedAt: t0, completedAt: t0, logs: ['ok'] },
          { title: 'Build', status: 'complete', startedAt: t0, completedAt: t0, logs: ['a', 'b'] },
        ],
      };
    });
    expect(updated.status).toBe('complete');
    expect(updated.message).toBe('first');
    expect(updated.steps).toEqual([
      { title: 'Build', status: 'complete', startedAt: t0, completedAt: t0, logs: ['a', 'b'] },
      { title: 'Deploy', status: 'inprogress', startedAt: t0, completedAt: null, logs: [] },
      { title: 'Verify', status: 'complete', startedAt: t0, completedAt: t0, logs: ['ok'] },
    ]);
  });

  it('changes nothing when the decision throws', async () => {
    const { store } = await createStore();
    const run = newRun();
    await store.insertRun(run, randomUUID());
    await expect(
      store.updateRun(run.id, () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await store.getRun(run.id)).toEqual({ ...run, steps: [] });
  });

  it('loses no step when many updates of one run run concurrently', async () => {
    const { store } = await createStore();
    const run = newRun();
    await store.insertRun(run, randomUUID());
    const started = new Date();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.updateRun(run.id, current => ({
          run: { message: `report ${i} saw ${current.steps.length}` },
          steps: [
            {
              title: `step ${i}`,
              status: 'complete',
              startedAt: started,
              completedAt: started,
              logs: [`line ${i}`],
            },
          ],
        })),
      ),
    );
    const read = await store.getRun(run.id);
    expect(read!.steps.map(s => s.title).sort()).toEqual(
      Array.from({ length: 25 }, (_, i) => `step ${i}`).sort(),
    );
    // Each decision saw the steps written before it: positions are 0..24 without gaps.
    expect(new Set(read!.steps.map(s => s.logs[0])).size).toBe(25);
  });

  it('stores runs that arrive together, a run that cannot be stored failing alone', async () => {
    const { store } = await createStore();
    const taken = randomUUID();
    const first = newRun();
    await store.insertRun(first, taken);
    const runs = Array.from({ length: 5 }, () => newRun());
    // On PostgreSQL these share one statement; the run whose token hash is taken makes it fail.
    const results = await Promise.allSettled(
      runs.map((run, i) => store.insertRun(run, i === 2 ? taken : randomUUID())),
    );
    expect(results.map(result => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    for (const [i, run] of runs.entries()) {
      expect(await store.getRun(run.id)).toEqual(i === 2 ? undefined : { ...run, steps: [] });
    }
    expect(await store.findRunIdByTokenHash(taken)).toBe(first.id);
  });

  it('applies updates of many runs that arrive together each to its own run', async () => {
    const { store } = await createStore();
    const runs = Array.from({ length: 6 }, () => newRun());
    await Promise.all(runs.map(run => store.insertRun(run, randomUUID())));
    const started = new Date();
    const step = (title: string) => ({
      title,
      status: 'complete' as const,
      startedAt: started,
      completedAt: started,
      logs: [title],
    });
    // The last message has a lone surrogate, which must not fail the batch it is in.
    const message = (i: number) => (i === runs.length - 1 ? `run ${i} \ud800` : `run ${i}`);
    const results = await Promise.allSettled([
      ...runs.map((run, i) =>
        store.updateRun(run.id, () => ({ run: { message: message(i) }, steps: [step(`build ${i}`)] })),
      ),
      ...runs.map(run => store.setDispatchStatus(run.id, 'delivered')),
    ]);
    expect(results.map(result => result.status)).toEqual(Array(12).fill('fulfilled'));
    for (const [i, run] of runs.entries()) {
      const read = await store.getRun(run.id);
      expect(read).toMatchObject({ dispatchStatus: 'delivered' });
      // PostgreSQL gets U+FFFD, in a batch as in a single statement. (SQLite stores what its
      // driver makes of it; reports never bring one: RunService writes U+FFFD on parsing.)
      const compared = databaseId === 'POSTGRES_16' || i < runs.length - 1;
      expect(read!.message).toBe(compared ? message(i).replace('\ud800', '\ufffd') : read!.message);
      expect(read!.steps).toEqual([step(`build ${i}`)]);
    }
  });

  it('stores how many log lines each step dropped, alone and in a batch, and lists carry it', async () => {
    const { store } = await createStore();
    const runs = Array.from({ length: 5 }, () => newRun());
    await Promise.all(runs.map(run => store.insertRun(run, randomUUID())));
    const started = new Date();
    const step = (title: string, droppedLogLines?: number) => ({
      title,
      status: 'inprogress' as const,
      startedAt: started,
      completedAt: null,
      logs: [`${title} kept`],
      ...(droppedLogLines ? { droppedLogLines } : {}),
    });
    // Together: on PostgreSQL one compare-and-set statement for all.
    await Promise.all(
      runs.map((run, i) => store.updateRun(run.id, () => ({ run: {}, steps: [step('a', i + 1), step('b')] }))),
    );
    for (const [i, run] of runs.entries()) {
      expect((await store.getRun(run.id))!.steps).toEqual([step('a', i + 1), step('b')]);
    }
    // Alone: a step whose logs were replaced whole drops its count.
    await store.updateRun(runs[0].id, () => ({ run: {}, steps: [step('a'), step('b', 4)] }));
    expect((await store.getRun(runs[0].id))!.steps).toEqual([step('a'), step('b', 4)]);
    const { runs: listed } = await store.listRuns({ filter: {}, visibility: { all: true }, limit: 10 });
    expect(listed.find(r => r.id === runs[0].id)!.steps.map(s => s.droppedLogLines)).toEqual([undefined, 4]);
  });

  it('lists newest first with filters, visibility and a keyset cursor', async () => {
    const { store } = await createStore();
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    const runs = Array.from({ length: 7 }, (_, i) =>
      newRun({
        createdAt: new Date(base + i * 1000),
        initiatedBy: i % 2 ? 'user:default/jane' : 'user:default/bob',
        actionId: i < 5 ? 'restart-service' : 'create-db',
        entityRef: i === 6 ? 'component:default/other' : 'component:default/payments',
        status: i === 3 ? 'failed' : 'inprogress',
      }),
    );
    for (const run of runs) {
      await store.insertRun(run, randomUUID());
    }
    const all = { all: true } as const;
    const page1 = await store.listRuns({ filter: {}, visibility: all, limit: 3 });
    expect(page1.runs.map(r => r.id)).toEqual([runs[6].id, runs[5].id, runs[4].id]);
    const page2 = await store.listRuns({
      filter: {},
      visibility: all,
      limit: 3,
      cursor: page1.nextCursor,
    });
    expect(page2.runs.map(r => r.id)).toEqual([runs[3].id, runs[2].id, runs[1].id]);
    const page3 = await store.listRuns({
      filter: {},
      visibility: all,
      limit: 3,
      cursor: page2.nextCursor,
    });
    expect(page3.runs.map(r => r.id)).toEqual([runs[0].id]);
    expect(page3.nextCursor).toBeUndefined();

    const filtered = await store.listRuns({
      filter: { entityRef: 'component:default/payments', status: 'inprogress', actionId: 'restart-service' },
      visibility: all,
      limit: 10,
    });
    expect(filtered.runs.map(r => r.id)).toEqual([runs[4].id, runs[2].id, runs[1].id, runs[0].id]);

    const mine = await store.listRuns({
      filter: { initiatedBy: 'user:default/jane' },
      visibility: all,
      limit: 10,
    });
    expect(mine.runs.map(r => r.id)).toEqual([runs[5].id, runs[3].id, runs[1].id]);

    const janeSees = await store.listRuns({
      filter: {},
      visibility: { all: false, initiatedBy: 'user:default/jane', actionIds: ['create-db'], approvedActionIds: [] },
      limit: 10,
    });
    expect(janeSees.runs.map(r => r.id)).toEqual([
      runs[6].id,
      runs[5].id,
      runs[3].id,
      runs[1].id,
    ]);
    await expect(
      store.listRuns({ filter: {}, visibility: all, limit: 3, cursor: 'not-a-cursor' }),
    ).rejects.toThrow('Invalid cursor');
  });

  it('lets one claimant at a time take a run whose dispatch lease ran out', async () => {
    const { store } = await createStore();
    const now = new Date();
    const lapsed = newRun({ dispatchLeaseUntil: new Date(now.getTime() - 1000) });
    const leased = newRun();
    const delivered = newRun({ dispatchStatus: 'delivered', dispatchLeaseUntil: new Date(now.getTime() - 1000) });
    const cancelled = newRun({ status: 'terminated', dispatchLeaseUntil: new Date(now.getTime() - 1000) });
    for (const run of [lapsed, leased, delivered, cancelled]) {
      await store.insertRun(run, randomUUID());
    }
    const leaseUntil = new Date(now.getTime() + 60_000);
    const claims = await Promise.all([
      store.claimUndispatched({ now, leaseUntil, limit: 10, statuses: DISPATCHABLE_STATUSES }),
      store.claimUndispatched({ now, leaseUntil, limit: 10, statuses: DISPATCHABLE_STATUSES }),
      store.claimUndispatched({ now, leaseUntil, limit: 10, statuses: DISPATCHABLE_STATUSES }),
    ]);
    expect(claims.flat()).toEqual([lapsed.id]);
    expect(await store.getRun(lapsed.id)).toMatchObject({ dispatchAttempts: 2, dispatchLeaseUntil: leaseUntil });
    expect(await store.claimUndispatched({ now, leaseUntil, limit: 10, statuses: DISPATCHABLE_STATUSES })).toEqual([]);
    await store.addToken(lapsed.id, 'f'.repeat(64), now);
    expect(await store.findRunIdByTokenHash('f'.repeat(64))).toBe(lapsed.id);
  });

  it('terminates open runs past their deadline in batches and leaves the rest', async () => {
    const { store } = await createStore();
    const now = new Date();
    const past = new Date(now.getTime() - 1000);
    const stale = Array.from({ length: 5 }, () => newRun({ expiresAt: past }));
    const pending = newRun({ status: 'pending-approval', expiresAt: past });
    const fresh = newRun();
    const done = newRun({ status: 'complete', expiresAt: past });
    for (const run of [...stale, pending, fresh, done]) {
      await store.insertRun(run, randomUUID());
    }
    const reported = new Date(now.getTime() - 500);
    const openStep = { startedAt: past, completedAt: null, logs: ['working'] };
    await store.updateRun(stale[0].id, () => ({
      run: {},
      steps: [
        { ...openStep, title: 'Build', status: 'complete', completedAt: reported },
        { ...openStep, title: 'Deploy', status: 'inprogress' },
        { ...openStep, title: 'Verify', status: 'inprogress', completedAt: reported },
      ],
    }));
    await store.updateRun(fresh.id, () => ({ run: {}, steps: [{ ...openStep, title: 'Deploy', status: 'inprogress' }] }));
    const first = await store.expireRuns({ now, batchSize: 4, statuses: OPEN_STATUSES, dispatchStatuses: EXPIRED.dispatchStatuses, status: EXPIRED.status, message: 'expired', stepStatus: EXPIRED.stepStatus });
    expect(first).toHaveLength(4);
    const second = await store.expireRuns({ now, batchSize: 4, statuses: OPEN_STATUSES, dispatchStatuses: EXPIRED.dispatchStatuses, status: EXPIRED.status, message: 'expired', stepStatus: EXPIRED.stepStatus });
    expect(second).toHaveLength(2);
    expect(await store.expireRuns({ now, batchSize: 4, statuses: OPEN_STATUSES, dispatchStatuses: EXPIRED.dispatchStatuses, status: EXPIRED.status, message: 'expired', stepStatus: EXPIRED.stepStatus })).toEqual([]);
    expect([...first, ...second].sort()).toEqual([...stale, pending].map(r => r.id).sort());
    const terminated = await store.getRun(pending.id);
    expect(terminated).toMatchObject({ status: 'terminated', message: 'expired', completedAt: now });
    expect((await store.getRun(fresh.id))!.status).toBe('inprogress');
    expect((await store.getRun(done.id))!.status).toBe('complete');
    // The steps the expired run left open are closed with it; a live run's are not.
    expect((await store.getRun(stale[0].id))!.steps).toEqual([
      { ...openStep, title: 'Build', status: 'complete', completedAt: reported },
      { ...openStep, title: 'Deploy', status: 'terminated', completedAt: now },
      { ...openStep, title: 'Verify', status: 'terminated', completedAt: reported },
    ]);
    expect((await store.getRun(fresh.id))!.steps[0].status).toBe('inprogress');
  });
});
