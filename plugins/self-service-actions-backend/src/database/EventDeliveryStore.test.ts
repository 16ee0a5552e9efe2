import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseRunStore } from './DatabaseRunStore';
import { ClaimedDelivery, EventDeliveryStore } from './EventDeliveryStore';
import { sampleRun } from '../testing/sampleAction';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const DAY = 86_400_000;

describe.each(databases.eachSupportedId())('EventDeliveryStore on %p', databaseId => {
  async function setUp() {
    const knex = await databases.init(databaseId);
    const runs = await DatabaseRunStore.create({
      database: mockServices.database({ knex, migrations: { skip: false } }),
      events: { sinks: [{ id: 'hook', giveUpAfterMs: DAY }] },
    });
    return { knex, runs, deliveries: new EventDeliveryStore(knex) };
  }
  /** A run with three events for the sink: created, dispatched, succeeded. */
  async function runWithThreeEvents(runs: DatabaseRunStore) {
    const run = sampleRun({ dispatchStatus: 'pending' });
    await runs.insertRun(run, null);
    await runs.setDispatchStatus(run.id, 'delivered');
    await runs.updateRun(run.id, () => ({ run: { status: 'complete', completedAt: new Date(), updatedAt: new Date() } }));
    return run.id;
  }
  const attempt = (d: ClaimedDelivery) => ({ id: d.id, attempts: d.attempts, runId: d.run.id, sequence: d.event.sequence });
  const claim = (store: EventDeliveryStore, now = new Date(), limit = 10) =>
    store.claim({ subscriberId: 'hook', now, leaseUntil: new Date(now.getTime() + 60_000), limit });

  it("claims a run's events one at a time, in sequence, even while one is under way", async () => {
    const { runs, deliveries } = await setUp();
    const a = await runWithThreeEvents(runs);
    const b = await runWithThreeEvents(runs);
    const first = await claim(deliveries);
    expect(first.map(d => [d.run.id, d.event.sequence, d.event.type]).sort()).toEqual(
      [
        [a, 1, 'run.created'],
        [b, 1, 'run.created'],
      ].sort(),
    );
    expect(first[0]).toMatchObject({ attempts: 1, run: { actionId: 'restart-service', initiatedBy: 'user:default/jane' } });
    // Leased, not settled: nothing more of either run is due.
    expect(await claim(deliveries)).toEqual([]);
    const now = new Date();
    await deliveries.settle(
      'hook',
      first.map(d => ({ ...attempt(d), status: 'delivered', at: now, responseStatus: 204 })),
    );
    expect((await claim(deliveries)).map(d => d.event.type)).toEqual(['run.dispatched', 'run.dispatched']);
  });

  it('records an outcome only for the latest attempt, and retries when due', async () => {
    const { runs, deliveries, knex } = await setUp();
    const id = await runWithThreeEvents(runs);
    const [stale] = await claim(deliveries);
    // The lease ran out (its instance died): another claims it again.
    const later = new Date(Date.now() + 120_000);
    const [again] = await claim(deliveries, later);
    expect(again).toMatchObject({ id: stale.id, attempts: 2 });
    const failed = { status: 'pending' as const, at: later, responseStatus: 500, error: 'Answered 500' };
    await deliveries.settle('hook', [{ ...attempt(stale), attempts: 1, nextAttemptAt: later, ...failed }]);
    expect(await knex('event_deliveries').where({ id: stale.id }).first()).toMatchObject({ last_error: null });
    const retryAt = new Date(later.getTime() + 5_000);
    await deliveries.settle('hook', [{ ...attempt(again), nextAttemptAt: retryAt, ...failed }]);
    expect(await knex('event_deliveries').where({ id: again.id }).first()).toMatchObject({
      status: 'pending',
      attempts: 2,
      response_status: 500,
      last_error: 'Answered 500',
      run_id: id,
    });
    expect(await claim(deliveries, new Date(retryAt.getTime() - 1))).toEqual([]);
    // The run's later events wait with it (they cannot go before it anyway).
    const later2 = await knex('event_deliveries').where({ run_id: id }).whereNot({ id: again.id }).select('next_attempt_at');
    expect(later2.map(row => new Date(row.next_attempt_at).getTime())).toEqual([retryAt.getTime(), retryAt.getTime()]);
    expect((await claim(deliveries, retryAt)).map(d => d.attempts)).toEqual([3]);
  });

  it('gives up on overdue deliveries without another attempt', async () => {
    const { runs, deliveries, knex } = await setUp();
    await runWithThreeEvents(runs);
    expect(await claim(deliveries, new Date(Date.now() + 2 * DAY))).toEqual([]);
    const rows = await knex('event_deliveries').select('status', 'last_error', 'attempts');
    expect(rows).toEqual(rows.map(() => ({ status: 'failed', last_error: 'Not delivered in time', attempts: 0 })));
  });

  it('lists newest first by status, retries by hand and purges what is old', async () => {
    const { runs, deliveries, knex } = await setUp();
    await runWithThreeEvents(runs);
    await runWithThreeEvents(runs);
    const page = await deliveries.list({ limit: 4 });
    expect(page.items.map(d => Number(d.id))).toEqual([...page.items.map(d => Number(d.id))].sort((x, y) => y - x));
    const rest = await deliveries.list({ limit: 4, cursor: page.nextCursor });
    expect(rest.items).toHaveLength(2);
    expect(rest.nextCursor).toBeUndefined();
    await expect(deliveries.list({ limit: 4, cursor: '1; drop table runs' })).rejects.toThrow('Invalid cursor');

    const [claimed] = await claim(deliveries);
    const at = new Date(Date.now() - 8 * DAY);
    await deliveries.settle('hook', [{ ...attempt(claimed), status: 'delivered', at, responseStatus: 200 }]);
    expect((await deliveries.list({ status: 'delivered', limit: 10 })).items.map(d => d.id)).toEqual([claimed.id]);
    expect(await deliveries.retry('999999', new Date(), new Date())).toBeUndefined();
    expect(await deliveries.retry(page.items[0].id, new Date(), new Date())).toBe('pending');

    // Delivered 8 days ago: purged with 7 days' retention; its event too once nothing needs it.
    await knex('run_events').where({ id: claimed.event.id }).update({ created_at: at });
    expect(await deliveries.purge({ deliveredBefore: new Date(Date.now() - 7 * DAY), failedBefore: new Date(0), batchSize: 2 })).toBe(1);
    expect(await knex('event_deliveries').where({ id: claimed.id })).toEqual([]);
    expect(await knex('run_events').where({ id: claimed.event.id })).toEqual([]);
    expect(Number((await knex('run_events').count({ n: '*' }))[0].n)).toBe(5);

    const retried = await deliveries.retry(page.items[0].id, new Date(), new Date());
    expect(retried).toBe('pending');
  });
});
