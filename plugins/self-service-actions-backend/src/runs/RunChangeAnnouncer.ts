import { LoggerService } from '@backstage/backend-plugin-api';
import { RunChangedSignal, RunStatus } from '@self-service-actions/plugin-self-service-actions-common';

/** Sends one signal naming changed runs to an audience (user and group entity refs). */
export type PublishRunChanges = (audience: string[], runs: RunChangedSignal['runs']) => Promise<void>;

type Batch = { audience: string[]; runs: Map<string, RunStatus> };

/**
 * Gathers run changes and announces them as one signal per audience per window.
 *
 * With the events backend installed, every signal is an HTTP call to the events backend and
 * a database row (that is how it reaches browsers connected to other replicas). One signal
 * per status report would cost more than the report itself at a thousand reports a second.
 * Browsers only need to know which runs to read again, so the changes of one window travel
 * together. A run changed twice in a window is named once, with its latest status.
 */
export class RunChangeAnnouncer {
  private readonly batches = new Map<string, Batch>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly options: {
      publish: PublishRunChanges;
      logger: LoggerService;
      /** How long changes are gathered before they are sent. */
      windowMs: number;
      /** A batch that reaches this many runs is sent at once, keeping each signal small. */
      maxRunsPerSignal: number;
    },
  ) {}

  /** Queues the change of a run for its audience; never throws and never waits. */
  announce(runId: string, status: RunStatus, audience: string[]): void {
    const key = [...audience].sort().join('\n');
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { audience, runs: new Map() };
      this.batches.set(key, batch);
    }
    // Deleted first so that a re-announced run moves to the end (Map keeps insertion order).
    batch.runs.delete(runId);
    batch.runs.set(runId, status);
    if (batch.runs.size >= this.options.maxRunsPerSignal) {
      this.batches.delete(key);
      this.send(batch);
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.sendAll();
      }, this.options.windowMs);
    }
  }

  /** Sends what is gathered now and waits for every signal under way (used at shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sendAll();
    await Promise.all([...this.inFlight]);
  }

  private sendAll() {
    const batches = [...this.batches.values()];
    this.batches.clear();
    batches.forEach(batch => this.send(batch));
  }

  private send(batch: Batch) {
    const runs = [...batch.runs].map(([runId, status]) => ({ runId, status }));
    const sending = this.options
      .publish(batch.audience, runs)
      .catch(error => {
        // Browsers still refresh on their slow safety poll, so a lost signal only delays them.
        this.options.logger.warn(
          `Could not announce changes of ${runs.length} run(s): ${(error as Error).message}`,
        );
      })
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }
}
