import { ServiceUnavailableError } from '@backstage/errors';

/**
 * Runs many callers' requests as one batch: one statement and one round trip to the database
 * for all the reports (or runs) that arrived together, instead of one each ("group commit").
 *
 * Requests gather while batches are running (at most `maxConcurrentBatches`), or for one turn
 * of the event loop when fewer are, so an idle backend adds no wait and a busy one sends bigger
 * batches. Requests with the same key never share a batch or run in two batches at once: a run
 * is written by one statement at a time, and a later request for it waits for the next batch
 * (in a batch running alongside, it would only lose the race and hold other runs' locks).
 *
 * The queue is bounded (`maxQueued`): when the database falls behind, a request past the bound
 * fails at once with ServiceUnavailableError (503 with Retry-After) instead of holding its
 * memory and its caller for longer and longer; those already queued go on as before.
 */
export class Batcher<Item, Result> {
  private queue: Array<{
    item: Item;
    resolve: (result: Result) => void;
    reject: (error: unknown) => void;
  }> = [];
  private running = 0;
  private scheduled = false;
  /** Keys of the items in running batches: an item whose key is there waits for its batch. */
  private readonly keysInFlight = new Set<string>();

  constructor(
    private readonly options: {
      /**
       * Runs a batch; answers one settled result per item, in order, so that one bad item
       * fails only its own caller.
       */
      run: (items: Item[]) => Promise<PromiseSettledResult<Result>[]>;
      /** Items with equal keys go in batches that run one after the other. */
      key?: (item: Item) => string;
      maxBatchSize: number;
      /** Batches that may run at once (default 1). */
      maxConcurrentBatches?: number;
      /** Items that may wait (not counting running batches); unbounded without it. */
      maxQueued?: number;
      /** Hears of each refused item (to count them). */
      onShed?: () => void;
    },
  ) {}

  /** Items waiting for a batch. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Queues an item for the next batch. `mayShed: false` is for work that must not be refused
   * whatever the queue (it follows something already done outside, such as a webhook sent).
   */
  add(item: Item, { mayShed = true }: { mayShed?: boolean } = {}): Promise<Result> {
    const { maxQueued, onShed } = this.options;
    if (mayShed && maxQueued !== undefined && this.queue.length >= maxQueued) {
      onShed?.();
      return Promise.reject(
        new ServiceUnavailableError('The database is busy: too many requests are waiting; retry shortly'),
      );
    }
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule() {
    if (this.running >= (this.options.maxConcurrentBatches ?? 1) || this.scheduled) {
      return;
    }
    this.scheduled = true;
    // After the I/O of this turn: requests whose data arrived together join one batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.runBatch();
    });
  }

  private async runBatch() {
    if (this.running >= (this.options.maxConcurrentBatches ?? 1) || this.queue.length === 0) {
      return;
    }
    this.running++;
    const { key, maxBatchSize } = this.options;
    const batch: typeof this.queue = [];
    const waiting: typeof this.queue = [];
    const keys: string[] = [];
    for (const entry of this.queue) {
      const entryKey = key?.(entry.item);
      if (batch.length >= maxBatchSize || (entryKey !== undefined && this.keysInFlight.has(entryKey))) {
        waiting.push(entry);
        continue;
      }
      if (entryKey !== undefined) {
        this.keysInFlight.add(entryKey);
        keys.push(entryKey);
      }
      batch.push(entry);
    }
    this.queue = waiting;
    if (batch.length === 0) {
      // everything waiting is for keys in flight: the batch that holds them schedules the next
      this.running--;
      return;
    }
    if (this.queue.length > 0) {
      // a full batch left some behind: they may go in another batch now, if one may run
      this.schedule();
    }
    try {
      const results = await this.options.run(batch.map(entry => entry.item));
      batch.forEach((entry, index) => {
        const result = results[index];
        if (result?.status === 'fulfilled') {
          entry.resolve(result.value);
        } else {
          entry.reject(result ? result.reason : new Error('The batch gave no result for this item'));
        }
      });
    } catch (error) {
      batch.forEach(entry => entry.reject(error));
    } finally {
      this.running--;
      keys.forEach(done => this.keysInFlight.delete(done));
      if (this.queue.length > 0) {
        this.schedule();
      }
    }
  }
}
