import { LoggerService } from '@backstage/backend-plugin-api';
import { ClaimedDelivery, DeliveryOutcome, EventDeliveryStore } from '../database/EventDeliveryStore';
import { eventBody } from './eventBody';
import { EventSink } from './sinks';
import { LoadGauge } from './loadGauge';

/** Retries of one delivery: the first after `retryDelay` (5 s), doubling up to an hour, ±20 %. */
const MAX_RETRY_MS = 60 * 60 * 1000;
/** A sink whose last this many attempts all failed is paused... */
const FAILURES_BEFORE_PAUSE = 5;
/** ...for `retryDelay` at first, doubling while it keeps failing, up to MAX_PAUSE_MS. */
const MAX_PAUSE_MS = 5 * 60 * 1000;
/** Added to the timeout to make a claimed attempt's lease. */
const LEASE_MARGIN_MS = 10_000;
/**
 * After a round that found fewer due deliveries than it could take, the next waits this long,
 * so that under load each round's statements serve many events rather than one.
 */
const GATHER_MS = 100;
/**
 * While the event loop is busier than this (requests, not only deliveries), a deliverer waits
 * BUSY_PAUSE_MS between rounds: events lag behind under peak load rather than slow it down,
 * and catch up once it passes.
 */
const BUSY_UTILIZATION = 0.8;
const BUSY_PAUSE_MS = 250;
/** How often a database error in the loop is logged at most. */
const ERROR_LOG_INTERVAL_MS = 60_000;

/** When a delivery that failed at attempt `attempts` is tried again. */
export function retryDelay(attempts: number, firstRetryMs: number, random = Math.random()): number {
  const base = Math.min(firstRetryMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS);
  return Math.round(base * (0.8 + 0.4 * random));
}

export interface EventDelivererOptions {
  store: EventDeliveryStore;
  sink: EventSink;
  logger: LoggerService;
  timeoutMs: number;
  pollIntervalMs: number;
  /** The first retry's delay (and a failing sink's first pause). */
  retryDelayMs: number;
  /** How busy the process is (shared by the deliverers). */
  load: LoadGauge;
  runPageUrl: (runId: string) => string;
}

/**
 * Delivers the events of one sink, on every instance: claims due deliveries (a run's events
 * one after the other, see EventDeliveryStore.claim), sends them at once up to the sink's
 * concurrency, records each outcome and retries with backoff until the delivery gives up. Each
 * sink has its own loop, so a slow or dead one delays no other and no run: runs only write
 * events, they never wait for them. A sink whose attempts keep failing is paused (doubling
 * pauses) and then probed with one delivery, rather than sent every new event.
 */
export class EventDeliverer {
  private stopped = true;
  private wakeUp?: () => void;
  private woken = false;
  private consecutiveFailures = 0;
  private pauseMs = 0;
  private running?: Promise<void>;
  private lastErrorLog = 0;

  constructor(private readonly options: EventDelivererOptions) {}

  get sinkId(): string {
    return this.options.sink.id;
  }

  start(): void {
    if (this.stopped) {
      this.stopped = false;
      this.running = this.loop();
    }
  }

  /** Stops claiming; attempts under way finish (or their lease runs out). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  /** New events were written on this instance: look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let round = { claimed: 0, limit: 0 };
      try {
        round = await this.deliverOnce();
      } catch (error) {
        this.logError(error);
      }
      if (this.stopped) break;
      if (this.pauseMs > 0) {
        await this.sleep(this.pauseMs, false);
      } else if (round.claimed === 0) {
        await this.sleep(this.options.pollIntervalMs, true);
      } else if (this.options.load.utilization() > BUSY_UTILIZATION) {
        await this.sleep(BUSY_PAUSE_MS, false);
      } else if (round.claimed < round.limit) {
        await this.sleep(GATHER_MS, false);
      }
    }
  }

  /** One round: claims, sends, records. Answers how many were claimed, of how many it could. */
  private async deliverOnce(): Promise<{ claimed: number; limit: number }> {
    const { store, sink, timeoutMs } = this.options;
    const now = new Date();
    // A paused sink is probed with one delivery.
    const limit = this.pauseMs > 0 ? 1 : sink.concurrency;
    const claimed = await store.claim({
      subscriberId: sink.id,
      now,
      leaseUntil: new Date(now.getTime() + timeoutMs + LEASE_MARGIN_MS),
      limit,
    });
    if (claimed.length === 0) {
      return { claimed: 0, limit };
    }
    const outcomes = await Promise.all(claimed.map(delivery => this.attempt(delivery)));
    await store.settle(sink.id, outcomes);
    const failed = outcomes.filter(outcome => outcome.status !== 'delivered').length;
    if (failed < outcomes.length) {
      this.consecutiveFailures = 0;
      this.pauseMs = 0;
    } else {
      this.consecutiveFailures += failed;
      if (this.consecutiveFailures >= FAILURES_BEFORE_PAUSE) {
        this.pauseMs = this.pauseMs === 0 ? this.options.retryDelayMs : Math.min(this.pauseMs * 2, MAX_PAUSE_MS);
        this.options.logger.warn(
          `Lifecycle events to ${sink.id}: the last ${this.consecutiveFailures} attempts failed; pausing for ${Math.round(this.pauseMs / 1000)} s`,
        );
      }
    }
    return { claimed: claimed.length, limit };
  }

  private async attempt(delivery: ClaimedDelivery): Promise<DeliveryOutcome> {
    const { sink, runPageUrl } = this.options;
    let result;
    try {
      result = await sink.send(eventBody(delivery, runPageUrl));
    } catch (error) {
      result = { delivered: false as const, responseStatus: null, error: String((error as Error)?.message ?? error) };
    }
    const at = new Date();
    const { id, attempts } = delivery;
    const attempt = { id, attempts, runId: delivery.run.id, sequence: delivery.event.sequence };
    if (result.delivered) {
      return { ...attempt, status: 'delivered', at, responseStatus: result.responseStatus };
    }
    const nextAttemptAt = new Date(at.getTime() + retryDelay(attempts, this.options.retryDelayMs));
    return {
      ...attempt,
      status: nextAttemptAt > delivery.giveUpAt ? 'failed' : 'pending',
      at,
      nextAttemptAt,
      responseStatus: result.responseStatus,
      error: result.error,
    };
  }

  /** Waits `ms`, or less when woken (if `wakeable`) or stopped. */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (wakeable && this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise(resolve => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      // Unref'd: a deliverer waiting never keeps the process alive.
      timer = setTimeout(done, ms);
      timer.unref?.();
      this.wakeUp = () => {
        if (wakeable || this.stopped) done();
      };
    });
  }

  private logError(error: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog >= ERROR_LOG_INTERVAL_MS) {
      this.lastErrorLog = now;
      this.options.logger.warn(
        `Lifecycle events to ${this.options.sink.id} could not be claimed or recorded; trying again: ${
          (error as Error)?.message ?? error
        }`,
      );
    }
  }
}
