import {
  LoggerService,
  RootConfigService,
  RootLifecycleService,
  LifecycleService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import { Knex } from 'knex';
import { ActionAccess } from '../access/ActionAccess';
import { StoreEventOptions } from '../database/eventRows';
import { EventDeliveryStore } from '../database/EventDeliveryStore';
import { EventAdmin } from './EventAdmin';
import { EventDeliverer } from './EventDeliverer';
import { EVENTS_SERVICE_SINK_ID, readEventsSettings } from './eventsConfig';
import { EventSinkFilter } from './runEvents';
import { LoadGauge } from './loadGauge';
import { EventSink, EventsServiceSink, WebhookEventSink } from './sinks';

/** Deliveries (and then events) deleted per statement by the retention task. */
const PURGE_BATCH = 5_000;

/**
 * Lifecycle events, set up in two steps: the sinks are read from config first (invalid
 * subscribers stop start-up, naming the field), so the run store can write events with every
 * change; once the store exists, `start` creates one deliverer per sink (running from start-up
 * to shutdown on every instance), the retention task and the admins' view.
 */
export function startLifecycleEvents(options: {
  config: RootConfigService;
  events: EventsService;
  logger: LoggerService;
  scheduler: SchedulerService;
  lifecycle: LifecycleService | RootLifecycleService;
  runPageUrl: (runId: string) => string;
}) {
  const { config, logger, scheduler, lifecycle, runPageUrl } = options;
  const settings = readEventsSettings(config);
  const sinks: EventSink[] = settings.subscribers.map(
    subscriber => new WebhookEventSink(subscriber, settings.timeoutMs),
  );
  const filters: EventSinkFilter[] = settings.subscribers.map(subscriber => ({
    id: subscriber.id,
    types: subscriber.types,
    actions: subscriber.actions,
    giveUpAfterMs: settings.retryForMs,
  }));
  if (settings.eventsService) {
    sinks.push(new EventsServiceSink(options.events));
    filters.push({ id: EVENTS_SERVICE_SINK_ID, giveUpAfterMs: settings.retryForMs });
  }
  const deliverers: EventDeliverer[] = [];
  const storeOptions: StoreEventOptions = {
    sinks: filters,
    onWritten: () => deliverers.forEach(deliverer => deliverer.wake()),
  };

  async function start(db: Knex, rules: ActionAccess): Promise<EventAdmin> {
    const store = new EventDeliveryStore(db);
    const load = new LoadGauge();
    for (const sink of sinks) {
      deliverers.push(
        new EventDeliverer({
          store,
          sink,
          logger,
          timeoutMs: settings.timeoutMs,
          pollIntervalMs: settings.pollIntervalMs,
          retryDelayMs: settings.retryDelayMs,
          load,
          runPageUrl,
        }),
      );
    }
    lifecycle.addStartupHook(() => deliverers.forEach(deliverer => deliverer.start()));
    lifecycle.addShutdownHook(async () => {
      await Promise.all(deliverers.map(deliverer => deliverer.stop()));
    });
    if (sinks.length > 0) {
      logger.info(`Lifecycle events go to ${sinks.map(sink => sink.id).join(', ')}`);
    }
    // Also with no sink: rows left from an earlier configuration go in time.
    await scheduler.scheduleTask({
      id: 'self-service-actions-purge-events',
      frequency: { hours: 1 },
      timeout: { minutes: 15 },
      initialDelay: { minutes: 1 },
      fn: async () => {
        const now = Date.now();
        const deleted = await store.purge({
          deliveredBefore: new Date(now - settings.deliveredRetentionMs),
          failedBefore: new Date(now - settings.failedRetentionMs),
          batchSize: PURGE_BATCH,
        });
        if (deleted > 0) {
          logger.info(`Deleted ${deleted} old lifecycle event deliveries`);
        }
      },
    });
    return new EventAdmin({ store, rules, retryForMs: settings.retryForMs });
  }

  return { settings, storeOptions, start };
}
