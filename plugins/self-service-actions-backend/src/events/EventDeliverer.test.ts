import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseRunStore } from '../database/DatabaseRunStore';
import { EventDeliveryStore } from '../database/EventDeliveryStore';
import { sampleRun } from '../testing/sampleAction';
import { TestReceiver } from '../testing/TestReceiver';
import { EventDeliverer, retryDelay } from './EventDeliverer';
import { WebhookEventSink } from './sinks';
import { LoadGauge } from './loadGauge';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
async function waitFor(what: string, probe: () => Promise<boolean> | boolean, ms = 20_000) {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('retryDelay', () => {
  it('doubles from the first delay to an hour, within ±20 %', () => {
    expect(retryDelay(1, 5_000, 0.5)).toBe(5_000);
    expect(retryDelay(2, 5_000, 0.5)).toBe(10_000);
    expect(retryDelay(4, 5_000, 0)).toBe(32_000);
    expect(retryDelay(4, 5_000, 1)).toBe(48_000);
    expect(retryDelay(30, 5_000, 0.5)).toBe(3_600_000);
  });
});

describe('EventDeliverer', () => {
  it('pauses a subscriber that keeps failing, probes it with one event, then catches up', async () => {
    const knex = await databases.init('SQLITE_3');
    const runs = await DatabaseRunStore.create({
      database: mockServices.database({ knex, migrations: { skip: false } }),
      events: { sinks: [{ id: 'hook', giveUpAfterMs: 60_000 }] },
    });
    let failing = true;
    const receiver = new TestReceiver().on('/events', () => ({ status: failing ? 500 : 204 }));
    const url = await receiver.start();
    for (let i = 0; i < 20; i++) {
      await runs.insertRun(sampleRun(), null);
    }
    const logger = mockServices.logger.mock();
    const deliverer = new EventDeliverer({
      store: new EventDeliveryStore(knex),
      sink: new WebhookEventSink({ id: 'hook', url: `${url}/events`, signingSecret: 'a test secret of at least 24 bytes' }, 5_000),
      logger,
      timeoutMs: 5_000,
      pollIntervalMs: 50,
      retryDelayMs: 1_500,
      load: new LoadGauge(),
      runPageUrl: id => `/runs/${id}`,
    });
    try {
      deliverer.start();
      // One round of 16 attempts, all refused: paused for 1.5 s, not sent the 4 others meanwhile.
      await waitFor('the first round', () => receiver.requests.length >= 16);
      await sleep(700);
      expect(receiver.requests).toHaveLength(16);
      expect(logger.warn).toHaveBeenCalledWith(
        'Lifecycle events to hook: the last 16 attempts failed; pausing for 2 s',
      );
      failing = false;
      // The probe (one event) succeeds: the pause ends and every event is delivered.
      await waitFor('every event delivered', async () => {
        const rows = await knex('event_deliveries').where({ status: 'delivered' }).count({ n: '*' });
        return Number(rows[0].n) === 20;
      });
      const ids = receiver.requests.map(request => request.headers['webhook-id']);
      expect(new Set(ids).size).toBe(20);
      expect(receiver.requests.length).toBe(36);
    } finally {
      await deliverer.stop();
      await receiver.stop();
    }
  });
});
