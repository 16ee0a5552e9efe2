import { LoggerService } from '@backstage/backend-plugin-api';
import { RunChangedSignal } from '@self-service-actions/plugin-self-service-actions-common';
import { RunRecord } from '../database/RunStore';
import { SampledCount } from '../observability/SampledCount';

/** Sends one signal naming changed runs to recipients (user entity refs, or the raw audience). */
export type PublishRunChanges = (recipients: string[], runs: RunChangedSignal['runs']) => Promise<void>;

/**
 * The users an audience (user and group refs) stands for, each with whether the permission
 * policy lets them read a run (see SignalReaders).
 */
export type ResolveAudience = (
  audience: string[],
) => Array<{ userRef: string; mayRead(run: RunRecord): boolean }>;

type Batch = { audience: string[]; runs: Map<string, RunRecord> };

/**
 * Gathers run changes and announces them in one signal per group of recipients per window.
 *
 * With the events backend installed, every signal is an HTTP call to the events backend and
 * a database row (that is how it reaches browsers connected to other replicas). One signal
 * per status report would cost more than the report itself at a thousand reports a second.
 * Browsers only need to know which runs to read again, so the changes of one window travel
 * together. A run changed twice in a window is named once, with its latest status.
 *
 * With `resolveAudience`, the audience the config rules give (initiator, owners, groups...) is
 * turned into the users it stands for, and each run is named only to those the permission
 * policy lets read it. That happens when the window closes, in memory: announcing never waits
 * for the policy, and a report or a new run is never slowed by it.
 *
 * What is gathered is bounded (`maxQueuedChanges` runs): beyond it a change is dropped and
 * counted rather than held. Signals are a hint (a page also refreshes on its own), so losing
 * some under a flood is better than growing without limit.
 */
export class RunChangeAnnouncer {
  private readonly batches = new Map<string, Batch>();
  private queued = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly dropped: SampledCount;

  constructor(
    private readonly options: {
      publish: PublishRunChanges;
      /** Without it, signals go to the audience as given (the signals backend resolves groups). */
      resolveAudience?: ResolveAudience;
      logger: LoggerService;
      /** How long changes are gathered before they are sent. */
      windowMs: number;
      /** A batch that reaches this many runs is sent at once, keeping each signal small. */
      maxRunsPerSignal: number;
      /** Runs gathered at most, all audiences together; later changes are dropped. */
      maxQueuedChanges: number;
      /** At most one log line per this interval about dropped changes (default a minute). */
      dropLogIntervalMs?: number;
    },
  ) {
    this.dropped = new SampledCount({
      logger: options.logger,
      intervalMs: options.dropLogIntervalMs ?? 60_000,
      message: count =>
        `Dropped ${count} run change signal(s): more than ${options.maxQueuedChanges} changes were waiting (selfServiceActions.limits.maxQueuedRunChanges); pages refresh on their own`,
    });
  }

  /** Queues the change of a run for its audience; never throws and never waits. */
  announce(run: RunRecord, audience: string[]): void {
    const key = [...audience].sort().join('\n');
    let batch = this.batches.get(key);
    const known = batch?.runs.has(run.id) ?? false;
    if (!known && this.queued >= this.options.maxQueuedChanges) {
      this.dropped.add('queue full');
      return;
    }
    if (!batch) {
      batch = { audience, runs: new Map() };
      this.batches.set(key, batch);
    }
    // Deleted first so that a re-announced run moves to the end (Map keeps insertion order).
    batch.runs.delete(run.id);
    batch.runs.set(run.id, lightRun(run));
    if (!known) this.queued++;
    if (batch.runs.size >= this.options.maxRunsPerSignal) {
      this.take(key);
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

  private take(key: string) {
    this.queued -= this.batches.get(key)?.runs.size ?? 0;
    this.batches.delete(key);
  }

  private sendAll() {
    const batches = [...this.batches.values()];
    this.batches.clear();
    this.queued = 0;
    batches.forEach(batch => this.send(batch));
  }

  private send(batch: Batch) {
    for (const { recipients, runs } of this.recipientsOf(batch)) {
      const sending = this.options
        .publish(recipients, runs)
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

  /**
   * The signals of a batch: one per distinct set of users allowed to read its runs. With a
   * policy that decides per user only (allow or deny), that is one signal, as without a policy.
   */
  private recipientsOf(batch: Batch): Array<{ recipients: string[]; runs: RunChangedSignal['runs'] }> {
    const all = [...batch.runs.values()];
    const { resolveAudience } = this.options;
    if (!resolveAudience) {
      return [{ recipients: batch.audience, runs: all.map(toSignalRun) }];
    }
    const readers = resolveAudience(batch.audience);
    const signals = new Map<string, { recipients: string[]; runs: RunChangedSignal['runs'] }>();
    for (const run of all) {
      const recipients = readers.filter(reader => reader.mayRead(run)).map(reader => reader.userRef);
      if (recipients.length === 0) continue;
      const key = recipients.join('\n');
      let signal = signals.get(key);
      if (!signal) {
        signal = { recipients, runs: [] };
        signals.set(key, signal);
      }
      signal.runs.push(toSignalRun(run));
    }
    return [...signals.values()];
  }
}

function toSignalRun(run: RunRecord): RunChangedSignal['runs'][number] {
  return { runId: run.id, status: run.status };
}

/**
 * The run as held for a window: without its steps, logs, inputs and links (megabytes for a
 * busy run), which neither the signal nor the run permission rules (initiator, action type:
 * see permissionRules.ts) read.
 */
function lightRun(run: RunRecord): RunRecord {
  return { ...run, steps: [], messages: [], inputs: {}, links: [] };
}
