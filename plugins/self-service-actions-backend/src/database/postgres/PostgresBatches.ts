import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { RunRecord } from '../RunStore';
import {
  DbRunRowWithSteps,
  DispatchOutcome,
  InsertedRun,
  StepRowInput,
  toApprovalJson,
  toMessagesJson,
} from '../rows';
import { Batcher } from './Batcher';
import { meter, SampledCount } from '../../observability/SampledCount';
import {
  postgresCompareAndSetMany,
  postgresInsertMany,
  POSTGRES_READ_MANY,
  postgresSetDispatchStatusMany,
} from './statements';
import { RunEvent } from '../../events/runEvents';
import { toEventRow } from '../eventRows';

/** How many requests one batched statement serves at most. */
const MAX_BATCH_SIZE = 200;
/**
 * Batches of one kind under way at once. Two: a batch that waits (for a run's lock, say) does
 * not hold up every request behind it, and batches stay large (more did not go faster here).
 */
const MAX_CONCURRENT_BATCHES = 2;

/** A run, named by its id or by the hash of one of its report tokens. */
export type RunTarget = { id: string } | { tokenHash: string };

/** A run to store, with the hash of its first report token and its events. */
type RunInsert = { row: InsertedRun; tokenHash: string | null; events: RunEvent[] };

/** A run's new state, to be written if the run is still at `revision`, with its events. */
type CompareAndSet = { next: RunRecord; revision: number; rows: StepRowInput[]; events: RunEvent[] };

/**
 * The statements of the store, with or without the writing of lifecycle events, and the
 * parameters that come first (the sinks) when with.
 */
interface Statements {
  insertMany: string;
  compareAndSetMany: string;
  setDispatchStatusMany: string;
  /** Parameters before each statement's own: the sinks' JSON, or none. */
  leading: string[];
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * JSON for a batched statement's input. A lone UTF-16 surrogate (possible in any JS string)
 * is written as U+FFFD, as pg writes it in a single statement's parameters; as a JSON escape
 * PostgreSQL would refuse it and fail the whole batch.
 */
function toJsonInput(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    typeof item === 'string' ? item.replace(LONE_SURROGATE, '\ufffd') : item,
  );
}
/** A compare-and-set as one element of POSTGRES_COMPARE_AND_SET_MANY's input. */
function compareAndSetInput({ next, revision, rows, events }: CompareAndSet, withEvents: boolean) {
  return {
    ...(withEvents ? { event_sequence: next.eventSequence ?? 0, events: events.map(toEventRow) } : {}),
    id: next.id,
    revision,
    status: next.status,
    message: next.message,
    messages: toMessagesJson(next.messages),
    error: next.error,
    error_detail: next.errorDetail,
    links: JSON.stringify(next.links),
    started_at: next.startedAt,
    completed_at: next.completedAt,
    updated_at: next.updatedAt,
    expires_at: next.expiresAt,
    last_report_at: next.lastReportAt,
    dispatch_status: next.dispatchStatus,
    dispatch_lease_until: next.dispatchLeaseUntil,
    dispatch_attempts: next.dispatchAttempts,
    approval: toApprovalJson(next.approval),
    steps: rows,
  };
}


/**
 * PostgreSQL: concurrent requests of one kind share one statement (group commit): reads,
 * compare-and-set writes, run inserts and invocation outcomes. Each kind has its Batcher; a
 * batch the database refuses is retried request by request, so one bad request fails only
 * itself.
 */
export class PostgresBatches {
  private readonly reads: Batcher<RunTarget, DbRunRowWithSteps | undefined>;
  private readonly compareAndSets: Batcher<CompareAndSet, boolean>;
  private readonly inserts: Batcher<RunInsert, void>;
  private readonly dispatchOutcomes: Batcher<DispatchOutcome, DbRunRowWithSteps | undefined>;

  private readonly logger?: LoggerService;
  private readonly statements: Statements;

  constructor(
    private readonly db: Knex,
    options: {
      logger?: LoggerService;
      /** Requests that may wait per kind; past it a request is refused with 503 (see Batcher). */
      maxQueued?: number;
      /** The sinks' JSON (see sinksInput) when some sink takes events; then events are written. */
      sinks?: string;
    } = {},
  ) {
    this.logger = options.logger;
    const events = options.sinks !== undefined;
    this.statements = {
      insertMany: postgresInsertMany(events),
      compareAndSetMany: postgresCompareAndSetMany(events),
      setDispatchStatusMany: postgresSetDispatchStatusMany(events),
      leading: events ? [options.sinks!] : [],
    };
    const batching = { maxBatchSize: MAX_BATCH_SIZE, maxConcurrentBatches: MAX_CONCURRENT_BATCHES };
    const shed = new SampledCount({
      logger: options.logger,
      counter: meter.createCounter('self_service_actions.database.requests_shed', {
        description: 'Requests refused with 503 because too many waited for a batched statement',
      }),
      intervalMs: 60_000,
      message: (count, byKind) =>
        `Refused ${count} request(s) with 503: more than ${options.maxQueued} waited for a batched statement (${byKind}); see selfServiceActions.limits.maxQueuedDatabaseRequests`,
    });
    const bounded = (kind: string) => ({ maxQueued: options.maxQueued, onShed: () => shed.add(kind) });
    this.reads = new Batcher({ run: targets => this.readMany(targets), ...batching, ...bounded('read') });
    this.compareAndSets = new Batcher({
      run: writes => this.compareAndSetMany(writes),
      key: write => write.next.id,
      ...batching,
      ...bounded('write'),
    });
    this.inserts = new Batcher({ run: inserts => this.insertMany(inserts), ...batching, ...bounded('insert') });
    // Not bounded: an outcome follows a webhook already sent (refusing it would have the run
    // sent again after its lease), and there is one per run admitted through `inserts`.
    this.dispatchOutcomes = new Batcher({
      run: outcomes => this.setDispatchStatusMany(outcomes),
      key: outcome => outcome.id,
      ...batching,
    });
  }

  /** Reads a run with its steps. */
  read(target: RunTarget, mayShed = true): Promise<DbRunRowWithSteps | undefined> {
    return this.reads.add(target, { mayShed });
  }

  /** Stores a run and its first token. */
  insert(row: InsertedRun, tokenHash: string | null, events: RunEvent[]): Promise<void> {
    return this.inserts.add({ row, tokenHash, events });
  }

  /** Writes a run's new state if it is still at `revision`; true when written. */
  compareAndSet(
    next: RunRecord,
    revision: number,
    rows: StepRowInput[],
    events: RunEvent[],
    mayShed = true,
  ): Promise<boolean> {
    return this.compareAndSets.add({ next, revision, rows, events }, { mayShed });
  }

  /** Records what became of a run's invocation; answers the run as updated. */
  setDispatchStatus(outcome: DispatchOutcome): Promise<DbRunRowWithSteps | undefined> {
    return this.dispatchOutcomes.add(outcome);
  }

  /**
   * PostgreSQL: runs a batched statement for all its requests; if it fails, runs it for each
   * request alone, so that a request the database refuses fails only itself. Logged, as a
   * batch that keeps failing costs a statement per request.
   */
  private async eachAloneIfRefused<Item, Result>(
    kind: string,
    items: Item[],
    runBatch: (items: Item[]) => Promise<Result[]>,
  ): Promise<PromiseSettledResult<Result>[]> {
    try {
      return (await runBatch(items)).map(value => ({ status: 'fulfilled', value }));
    } catch (error) {
      if (items.length === 1) {
        return [{ status: 'rejected', reason: error }];
      }
      this.logger?.warn(
        `A batched ${kind} statement of ${items.length} requests failed, trying each alone: ${
          (error as Error)?.message ?? error
        }`,
      );
      return Promise.allSettled(items.map(async item => (await runBatch([item]))[0]));
    }
  }

  /** PostgreSQL: stores runs with their tokens, in one statement (see Batcher). */
  private insertMany(inserts: RunInsert[]): Promise<PromiseSettledResult<void>[]> {
    return this.eachAloneIfRefused('insert', inserts, async batch => {
      const tokens = batch.flatMap(({ row, tokenHash }) =>
        tokenHash ? [{ token_hash: tokenHash, run_id: row.id, created_at: row.created_at }] : [],
      );
      const { insertMany, leading } = this.statements;
      const events = leading.length > 0 ? [toJsonInput(batch.flatMap(insert => insert.events.map(toEventRow)))] : [];
      await this.db
        .raw(insertMany, [...leading, toJsonInput(batch.map(({ row }) => row)), toJsonInput(tokens), ...events])
        .options({ name: `ssa_insert_runs${leading.length > 0 ? '_events' : ''}` });
      return batch.map(() => undefined);
    });
  }

  /**
   * PostgreSQL: records webhook outcomes, in one statement. An outcome left unrecorded would
   * have the webhook sent again, hence the retry of each alone.
   */
  private setDispatchStatusMany(
    outcomes: DispatchOutcome[],
  ): Promise<PromiseSettledResult<DbRunRowWithSteps | undefined>[]> {
    return this.eachAloneIfRefused('webhook outcome', outcomes, async batch => {
      const { setDispatchStatusMany, leading } = this.statements;
      const result = await this.db
        .raw(setDispatchStatusMany, [
          ...leading,
          JSON.stringify(batch.map(({ id, dispatchStatus }) => ({ id, dispatch_status: dispatchStatus }))),
        ])
        .options({ name: `ssa_set_dispatch_status_many${leading.length > 0 ? '_events' : ''}` });
      const byId = new Map((result.rows as DbRunRowWithSteps[]).map(row => [row.id, row]));
      return batch.map(({ id }) => byId.get(id));
    });
  }

  /** PostgreSQL: reads the runs of many readers, in one statement. */
  private readMany(targets: RunTarget[]): Promise<PromiseSettledResult<DbRunRowWithSteps | undefined>[]> {
    return this.eachAloneIfRefused('read', targets, async batch => {
      const ids = batch.flatMap(target => ('id' in target ? [target.id] : []));
      const tokenHashes = batch.flatMap(target => ('tokenHash' in target ? [target.tokenHash] : []));
      const result = await this.db
        .raw(POSTGRES_READ_MANY, [ids, tokenHashes])
        .options({ name: 'ssa_read_runs' });
      const byId = new Map<string, DbRunRowWithSteps>();
      const byToken = new Map<string, DbRunRowWithSteps>();
      for (const row of result.rows as Array<DbRunRowWithSteps & { read_by_token: string | null }>) {
        if (row.read_by_token === null) {
          byId.set(row.id, row);
        } else {
          byToken.set(row.read_by_token, row);
        }
      }
      return batch.map(target => ('id' in target ? byId.get(target.id) : byToken.get(target.tokenHash)));
    });
  }

  /** PostgreSQL: writes the reports of many runs, in one statement; true for each written. */
  private compareAndSetMany(writes: CompareAndSet[]): Promise<PromiseSettledResult<boolean>[]> {
    return this.eachAloneIfRefused('compare-and-set', writes, async batch => {
      const { compareAndSetMany, leading } = this.statements;
      const result = await this.db
        .raw(compareAndSetMany, [...leading, toJsonInput(batch.map(write => compareAndSetInput(write, leading.length > 0)))])
        .options({ name: `ssa_compare_and_set_many${leading.length > 0 ? '_events' : ''}` });
      const written = new Set((result.rows as Array<{ id: string }>).map(row => row.id));
      return batch.map(write => written.has(write.next.id));
    });
  }
}
