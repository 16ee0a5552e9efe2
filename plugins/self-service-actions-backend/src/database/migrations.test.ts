import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });

const migrationsDir = resolvePackagePath(
  '@self-service-actions/plugin-self-service-actions-backend',
  'migrations',
);
const migrationFiles = fs
  .readdirSync(migrationsDir)
  .filter(file => file.endsWith('.js'))
  .sort();

const INIT = '20261122000000_init.js';
const DISPATCH_LEASE = '20261122010000_dispatch_lease.js';
const RUN_REVISION = '20261123000000_run_revision.js';
const RUN_APPROVAL = '20261204000000_run_approval.js';
const RUN_INITIATED_VIA = '20261205000000_run_initiated_via.js';
const RUN_ERROR_DETAIL = '20261205010000_run_error_detail.js';
const RUN_MESSAGE_HISTORY = '20261205020000_run_message_history.js';
const STEP_DROPPED_LOGS = '20261206000000_step_dropped_logs.js';
const LIFECYCLE_EVENTS = '20261207000000_lifecycle_events.js';
const MANAGED_ACTIONS = '20261208000000_managed_actions.js';

const INIT_RUN_COLUMNS = [
  'id',
  'action_id',
  'action_name',
  'action_type',
  'action_snapshot',
  'entity_ref',
  'initiated_by',
  'status',
  'message',
  'error',
  'inputs',
  'links',
  'rerun_of',
  'started_at',
  'completed_at',
  'created_at',
  'updated_at',
  'expires_at',
  'last_report_at',
  'dispatch_status',
];
const LEASE_COLUMNS = ['dispatch_lease_until', 'dispatch_attempts', 'has_secret_inputs'];
const STEP_COLUMNS = [
  'run_id',
  'position',
  'title',
  'status',
  'started_at',
  'completed_at',
  'logs',
];
const TOKEN_COLUMNS = ['token_hash', 'run_id', 'created_at'];
const EVENT_COLUMNS = ['id', 'run_id', 'sequence', 'type', 'created_at', 'run_status', 'completed_at', 'detail'];
const DELIVERY_COLUMNS = [
  'id',
  'event_id',
  'subscriber_id',
  'run_id',
  'sequence',
  'status',
  'attempts',
  'next_attempt_at',
  'give_up_at',
  'last_attempt_at',
  'delivered_at',
  'response_status',
  'last_error',
  'created_at',
];

type Schema = Record<string, string[]>;

/**
 * The plugin's tables and their columns after each migration, in order; index 0 is the empty
 * database. A new migration without an entry here fails the test below, so it gets one.
 */
const schemaAfter: Schema[] = [
  {},
  { runs: INIT_RUN_COLUMNS, run_steps: STEP_COLUMNS, run_tokens: TOKEN_COLUMNS },
  {
    runs: [...INIT_RUN_COLUMNS, ...LEASE_COLUMNS],
    run_steps: STEP_COLUMNS,
    run_tokens: TOKEN_COLUMNS,
  },
  {
    runs: [...INIT_RUN_COLUMNS, ...LEASE_COLUMNS, 'revision'],
    run_steps: STEP_COLUMNS,
    run_tokens: TOKEN_COLUMNS,
  },
  {
    runs: [...INIT_RUN_COLUMNS, ...LEASE_COLUMNS, 'revision', 'approval'],
    run_steps: STEP_COLUMNS,
    run_tokens: TOKEN_COLUMNS,
  },
  {
    runs: [...INIT_RUN_COLUMNS, ...LEASE_COLUMNS, 'revision', 'approval', 'initiated_via'],
    run_steps: STEP_COLUMNS,
    run_tokens: TOKEN_COLUMNS,
  },
  {
    runs: [...INIT_RUN_COLUMNS, ...LEASE_COLUMNS, 'revision', 'approval', 'initiated_via', 'error_detail'],
    run_steps: STEP_COLUMNS,
    run_tokens: TOKEN_COLUMNS,
  },
  {
    runs: [
      ...INIT_RUN_COLUMNS,
      ...LEASE_COLUMNS,
      'revision',
      'approval',
      'initiated_via',
      'error_detail',
      'messages',
    ],
    run_steps: STEP_COLUMNS,
    run_tokens: TOKEN_COLUMNS,
  },
  {
    runs: [
      ...INIT_RUN_COLUMNS,
      ...LEASE_COLUMNS,
      'revision',
      'approval',
      'initiated_via',
      'error_detail',
      'messages',
    ],
    run_steps: [...STEP_COLUMNS, 'dropped_log_lines'],
    run_tokens: TOKEN_COLUMNS,
  },
  {
    runs: [
      ...INIT_RUN_COLUMNS,
      ...LEASE_COLUMNS,
      'revision',
      'approval',
      'initiated_via',
      'error_detail',
      'messages',
      'event_sequence',
    ],
    run_steps: [...STEP_COLUMNS, 'dropped_log_lines'],
    run_tokens: TOKEN_COLUMNS,
    run_events: EVENT_COLUMNS,
    event_deliveries: DELIVERY_COLUMNS,
  },
  {
    runs: [
      ...INIT_RUN_COLUMNS,
      ...LEASE_COLUMNS,
      'revision',
      'approval',
      'initiated_via',
      'error_detail',
      'messages',
      'event_sequence',
      'test',
    ],
    run_steps: [...STEP_COLUMNS, 'dropped_log_lines'],
    run_tokens: TOKEN_COLUMNS,
    run_events: EVENT_COLUMNS,
    event_deliveries: DELIVERY_COLUMNS,
    managed_actions: ['id', 'definition', 'version', 'created_by', 'created_at', 'updated_by', 'updated_at'],
  },
];

async function migrateUpOnce(knex: Knex): Promise<void> {
  await knex.migrate.up({ directory: migrationsDir });
}

async function migrateDownOnce(knex: Knex): Promise<void> {
  await knex.migrate.down({ directory: migrationsDir });
}

async function migrateUntilBefore(knex: Knex, target: string): Promise<void> {
  const index = migrationFiles.indexOf(target);
  if (index === -1) {
    throw new Error(`Migration ${target} not found`);
  }
  for (let i = 0; i < index; i++) {
    await migrateUpOnce(knex);
  }
}

function isPostgres(knex: Knex): boolean {
  return knex.client.config.client === 'pg';
}

/** Every table but knex's own bookkeeping, with its columns sorted. */
async function schemaOf(knex: Knex): Promise<Schema> {
  const tables: string[] = isPostgres(knex)
    ? await knex('information_schema.tables')
        .whereRaw('table_schema = current_schema()')
        .where('table_type', 'BASE TABLE')
        .pluck('table_name')
    : await knex('sqlite_master')
        .where('type', 'table')
        .whereNot('name', 'like', 'sqlite_%')
        .pluck('name');
  const schema: Schema = {};
  for (const table of tables.filter(t => !t.startsWith('knex_migrations')).sort()) {
    schema[table] = Object.keys(await knex(table).columnInfo()).sort();
  }
  return schema;
}

function sorted(schema: Schema): Schema {
  return Object.fromEntries(
    Object.entries(schema)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([table, columns]) => [table, [...columns].sort()]),
  );
}

/**
 * Expects the database to refuse a statement, with an error whose text matches. Not jest's
 * `rejects.toThrow()`: under a loaded full run it was seen to report "did not throw" for a
 * SQLite constraint error (jest did not take the driver's rejection for an Error), though the
 * row was refused.
 */
async function expectRefused(statement: PromiseLike<unknown>, message: RegExp): Promise<void> {
  let refusal: unknown;
  try {
    await statement;
  } catch (error) {
    refusal = error;
  }
  expect(String((refusal as { message?: string })?.message ?? refusal)).toMatch(message);
}

/** The primary key's columns, in key order. */
async function primaryKeyOf(knex: Knex, table: string): Promise<string[]> {
  if (isPostgres(knex)) {
    const result = await knex.raw(
      `select a.attname as name from pg_index i
       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
       where i.indrelid = ?::regclass and i.indisprimary
       order by array_position(i.indkey, a.attnum)`,
      [table],
    );
    return result.rows.map((row: { name: string }) => row.name);
  }
  const columns: Array<{ name: string; pk: number }> = await knex.raw(`pragma table_info(${table})`);
  return columns.filter(column => column.pk > 0).sort((a, b) => a.pk - b.pk).map(c => c.name);
}

async function indexNames(knex: Knex, table: string): Promise<string[]> {
  return isPostgres(knex)
    ? knex('pg_indexes')
        .whereRaw('schemaname = current_schema()')
        .where('tablename', table)
        .pluck('indexname')
    : knex('sqlite_master').where({ type: 'index', tbl_name: table }).pluck('name');
}

/** PostgreSQL storage options of the runs table (null when none is set); SQLite has none. */
async function runsStorageOptions(knex: Knex): Promise<string[] | null | undefined> {
  if (!isPostgres(knex)) {
    return undefined;
  }
  const row = await knex('pg_class')
    .whereRaw('relnamespace = current_schema()::regnamespace')
    .where('relname', 'runs')
    .first('reloptions');
  return row.reloptions;
}

/** A run row with the columns of the first migration only. */
function initRunRow(id: string, overrides: Record<string, unknown> = {}) {
  const now = new Date();
  return {
    id,
    action_id: 'restart-service',
    action_name: 'Restart service',
    action_type: 'Day2',
    action_snapshot: JSON.stringify({ id: 'restart-service', name: 'Restart service' }),
    entity_ref: 'component:default/payments',
    initiated_by: 'user:default/jane',
    status: 'inprogress',
    message: null,
    error: null,
    inputs: JSON.stringify({ reason: 'stuck' }),
    links: '[]',
    rerun_of: null,
    started_at: now,
    completed_at: null,
    created_at: now,
    updated_at: now,
    expires_at: new Date(now.getTime() + 60_000),
    last_report_at: null,
    dispatch_status: 'pending',
    ...overrides,
  };
}

/** The columns a test compares (timestamps come back as Date, string or number by engine). */
async function readRun(knex: Knex, id: string) {
  const row = await knex('runs').where({ id }).first();
  if (!row) {
    return undefined;
  }
  const { started_at, created_at, updated_at, expires_at, dispatch_lease_until, ...rest } = row;
  return {
    ...rest,
    ...('has_secret_inputs' in row ? { has_secret_inputs: Boolean(row.has_secret_inputs) } : {}),
    ...('test' in row ? { test: Boolean(row.test) } : {}),
    ...('dispatch_lease_until' in row
      ? { has_lease: dispatch_lease_until !== null && dispatch_lease_until !== undefined }
      : {}),
  };
}

describe.each(databases.eachSupportedId())('migrations on %p', databaseId => {
  it('has an expected schema for every migration file', () => {
    expect(migrationFiles).toEqual([
      INIT,
      DISPATCH_LEASE,
      RUN_REVISION,
      RUN_APPROVAL,
      RUN_INITIATED_VIA,
      RUN_ERROR_DETAIL,
      RUN_MESSAGE_HISTORY,
      STEP_DROPPED_LOGS,
      LIFECYCLE_EVENTS,
      MANAGED_ACTIONS,
    ]);
    expect(schemaAfter).toHaveLength(migrationFiles.length + 1);
  });

  it('walks every migration up and down one at a time, keeping the data', async () => {
    const knex = await databases.init(databaseId);
    const runId = randomUUID();

    for (let i = 0; i < migrationFiles.length; i++) {
      await migrateUpOnce(knex);
      expect(await knex.migrate.currentVersion({ directory: migrationsDir })).toBe(
        migrationFiles[i].split('_')[0],
      );
      expect(await schemaOf(knex)).toEqual(sorted(schemaAfter[i + 1]));
      if (i === 0) {
        await knex('runs').insert(initRunRow(runId));
        await knex('run_steps').insert({
          run_id: runId,
          position: 0,
          title: 'Build',
          status: 'inprogress',
          started_at: new Date(),
          completed_at: null,
          logs: JSON.stringify(['compiling']),
        });
        await knex('run_tokens').insert({
          token_hash: 'a'.repeat(64),
          run_id: runId,
          created_at: new Date(),
        });
      }
    }

    // The run written after the first migration is whole after the last one.
    expect(await readRun(knex, runId)).toEqual({
      ...initRunRow(runId),
      started_at: undefined,
      created_at: undefined,
      updated_at: undefined,
      expires_at: undefined,
      dispatch_attempts: 0,
      has_secret_inputs: false,
      has_lease: false,
      revision: 0,
      approval: null,
      initiated_via: 'api',
      error_detail: null,
      messages: '[]',
      event_sequence: 0,
      test: false,
    });
    expect(await knex('run_steps').where({ run_id: runId }).select('title', 'logs')).toEqual([
      { title: 'Build', logs: '["compiling"]' },
    ]);
    expect(await knex('run_tokens').pluck('run_id')).toEqual([runId]);

    for (let i = migrationFiles.length - 1; i >= 1; i--) {
      await migrateDownOnce(knex);
      expect(await schemaOf(knex)).toEqual(sorted(schemaAfter[i]));
    }
    // Undoing the later migrations keeps the run.
    expect(await readRun(knex, runId)).toEqual({
      ...initRunRow(runId),
      started_at: undefined,
      created_at: undefined,
      updated_at: undefined,
      expires_at: undefined,
    });

    await migrateDownOnce(knex);
    expect(await knex.migrate.currentVersion({ directory: migrationsDir })).toBe('none');
    expect(await schemaOf(knex)).toEqual({});

    await knex.migrate.latest({ directory: migrationsDir });
    expect(await schemaOf(knex)).toEqual(sorted(schemaAfter[migrationFiles.length]));
    const again = randomUUID();
    await knex('runs').insert(
      initRunRow(again, { dispatch_attempts: 2, has_secret_inputs: true, revision: 5 }),
    );
    expect(await readRun(knex, again)).toMatchObject({
      id: again,
      dispatch_attempts: 2,
      has_secret_inputs: true,
      revision: 5,
    });
  });

  it('keeps the steps and tokens of runs when the later migrations are undone', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest({ directory: migrationsDir });
    const runId = randomUUID();
    await knex('runs').insert(initRunRow(runId));
    await knex('run_steps').insert({
      run_id: runId,
      position: 0,
      title: 'Build',
      status: 'complete',
      started_at: new Date(),
      completed_at: new Date(),
      logs: '[]',
    });
    await knex('run_tokens').insert({
      token_hash: 'c'.repeat(64),
      run_id: runId,
      created_at: new Date(),
    });

    for (let i = migrationFiles.indexOf(DISPATCH_LEASE); i < migrationFiles.length; i++) {
      await migrateDownOnce(knex);
    }
    expect(await knex.migrate.currentVersion({ directory: migrationsDir })).toBe(
      INIT.split('_')[0],
    );
    expect(await knex('runs').pluck('id')).toEqual([runId]);
    // On SQLite, knex's dropColumn rebuilds the table with foreign keys on (inside the
    // migration's transaction), which deleted every run's steps and tokens: the migrations use
    // SQLite's own DROP COLUMN instead.
    expect(await knex('run_steps').pluck('title')).toEqual(['Build']);
    expect(await knex('run_tokens').pluck('token_hash')).toEqual(['c'.repeat(64)]);
  });

  it(`${INIT} creates the runs, steps and tokens tables and drops them`, async () => {
    const knex = await databases.init(databaseId);
    await migrateUntilBefore(knex, INIT);
    await migrateUpOnce(knex);

    const runId = randomUUID();
    await knex('runs').insert(initRunRow(runId));
    const step = {
      run_id: runId,
      position: 0,
      title: 'Build',
      status: 'inprogress',
      started_at: new Date(),
      completed_at: null,
      logs: '[]',
    };
    await knex('run_steps').insert(step);
    // Steps merge by title: the same title twice in a run is refused (the primary key).
    expect(await primaryKeyOf(knex, 'run_steps')).toEqual(['run_id', 'title']);
    await expectRefused(knex('run_steps').insert({ ...step, position: 1 }), /unique|duplicate/i);
    const token = { token_hash: 'b'.repeat(64), run_id: runId, created_at: new Date() };
    await knex('run_tokens').insert(token);
    await expectRefused(knex('run_tokens').insert(token), /unique|duplicate/i);
    // A run needs its dispatch status.
    await expectRefused(
      knex('runs').insert(initRunRow(randomUUID(), { dispatch_status: null })),
      /not null|null value/i,
    );

    expect(await indexNames(knex, 'runs')).toEqual(
      expect.arrayContaining([
        'runs_entity_ref_created_idx',
        'runs_action_id_created_idx',
        'runs_initiated_by_created_idx',
        'runs_created_idx',
        'runs_status_expires_idx',
      ]),
    );
    expect(await indexNames(knex, 'run_tokens')).toContain('run_tokens_run_id_idx');

    await migrateDownOnce(knex);
    for (const table of ['runs', 'run_steps', 'run_tokens']) {
      expect(await knex.schema.hasTable(table)).toBe(false);
    }
  });

  it(`${DISPATCH_LEASE} adds the lease columns with defaults for existing runs`, async () => {
    const knex = await databases.init(databaseId);
    await migrateUntilBefore(knex, DISPATCH_LEASE);
    const before = randomUUID();
    await knex('runs').insert(initRunRow(before));

    await migrateUpOnce(knex);
    for (const column of LEASE_COLUMNS) {
      expect(await knex.schema.hasColumn('runs', column)).toBe(true);
    }
    expect(await readRun(knex, before)).toMatchObject({
      id: before,
      dispatch_attempts: 0,
      has_secret_inputs: false,
      has_lease: false,
    });
    const after = randomUUID();
    await knex('runs').insert(
      initRunRow(after, {
        dispatch_lease_until: new Date(Date.now() + 30_000),
        dispatch_attempts: 1,
        has_secret_inputs: true,
      }),
    );
    expect(await readRun(knex, after)).toMatchObject({
      id: after,
      dispatch_attempts: 1,
      has_secret_inputs: true,
      has_lease: true,
    });
    expect(await indexNames(knex, 'runs')).toContain('runs_dispatch_idx');

    await migrateDownOnce(knex);
    for (const column of LEASE_COLUMNS) {
      expect(await knex.schema.hasColumn('runs', column)).toBe(false);
    }
    expect(await indexNames(knex, 'runs')).not.toContain('runs_dispatch_idx');
    expect((await knex('runs').orderBy('id').pluck('id')).sort()).toEqual([before, after].sort());
    expect(await readRun(knex, after)).toMatchObject({ id: after, action_id: 'restart-service' });
  });

  it(`${RUN_REVISION} adds the revision column and leaves room for in-place updates`, async () => {
    const knex = await databases.init(databaseId);
    await migrateUntilBefore(knex, RUN_REVISION);
    const before = randomUUID();
    await knex('runs').insert(initRunRow(before, { dispatch_attempts: 3 }));
    expect(await runsStorageOptions(knex)).toBe(isPostgres(knex) ? null : undefined);

    await migrateUpOnce(knex);
    expect(await knex.schema.hasColumn('runs', 'revision')).toBe(true);
    expect(await readRun(knex, before)).toMatchObject({ revision: 0, dispatch_attempts: 3 });
    // Compare and set: only the writer holding the current revision updates the run.
    const bump = (revision: number) =>
      knex('runs')
        .where({ id: before, revision })
        .update({ revision: revision + 1, status: 'complete' });
    expect(await bump(0)).toBe(1);
    expect(await bump(0)).toBe(0);
    expect(await runsStorageOptions(knex)).toEqual(
      isPostgres(knex) ? ['fillfactor=70'] : undefined,
    );

    await migrateDownOnce(knex);
    expect(await knex.schema.hasColumn('runs', 'revision')).toBe(false);
    expect(await runsStorageOptions(knex)).toBe(isPostgres(knex) ? null : undefined);
    expect(await readRun(knex, before)).toMatchObject({
      id: before,
      status: 'complete',
      dispatch_attempts: 3,
    });
  });

  it(`${RUN_APPROVAL} adds the approval of a run, null for runs that need none`, async () => {
    const knex = await databases.init(databaseId);
    await migrateUntilBefore(knex, RUN_APPROVAL);
    const before = randomUUID();
    await knex('runs').insert(initRunRow(before));

    await migrateUpOnce(knex);
    expect(await readRun(knex, before)).toMatchObject({ id: before, approval: null });
    const held = randomUUID();
    const approval = JSON.stringify({ approvers: ['group:default/sre'], required: 2, decisions: [] });
    await knex('runs').insert(
      initRunRow(held, { status: 'pending-approval', dispatch_status: 'held', approval }),
    );
    expect(await readRun(knex, held)).toMatchObject({ approval });

    await migrateDownOnce(knex);
    expect(await knex.schema.hasColumn('runs', 'approval')).toBe(false);
    expect((await knex('runs').pluck('id')).sort()).toEqual([before, held].sort());
  });

  it(`${RUN_INITIATED_VIA} records how runs were started, api for the runs before it`, async () => {
    const knex = await databases.init(databaseId);
    await migrateUntilBefore(knex, RUN_INITIATED_VIA);
    const before = randomUUID();
    await knex('runs').insert(initRunRow(before));

    await migrateUpOnce(knex);
    expect(await readRun(knex, before)).toMatchObject({ id: before, initiated_via: 'api' });
    const byAgent = randomUUID();
    await knex('runs').insert(initRunRow(byAgent, { initiated_via: 'actions-registry' }));
    expect(await readRun(knex, byAgent)).toMatchObject({ initiated_via: 'actions-registry' });

    await migrateDownOnce(knex);
    expect(await knex.schema.hasColumn('runs', 'initiated_via')).toBe(false);
    expect((await knex('runs').pluck('id')).sort()).toEqual([before, byAgent].sort());
  });

  it(`${RUN_ERROR_DETAIL} keeps a failed run's error, with no detail for the runs before it`, async () => {
    const knex = await databases.init(databaseId);
    await migrateUntilBefore(knex, RUN_ERROR_DETAIL);
    const before = randomUUID();
    await knex('runs').insert(initRunRow(before, { status: 'failed', error: 'Webhook answered 500' }));

    await migrateUpOnce(knex);
    expect(await readRun(knex, before)).toMatchObject({ error: 'Webhook answered 500', error_detail: null });
    const unreachable = randomUUID();
    await knex('runs').insert(
      initRunRow(unreachable, { status: 'failed', error: 'The webhook could not be reached', error_detail: 'connect ECONNREFUSED 10.0.0.1:443' }),
    );
    expect(await readRun(knex, unreachable)).toMatchObject({ error_detail: 'connect ECONNREFUSED 10.0.0.1:443' });

    await migrateDownOnce(knex);
    expect(await knex.schema.hasColumn('runs', 'error_detail')).toBe(false);
    expect(await readRun(knex, unreachable)).toMatchObject({ error: 'The webhook could not be reached' });
  });

  it(`${RUN_MESSAGE_HISTORY} starts every earlier run with an empty history`, async () => {
    const knex = await databases.init(databaseId);
    await migrateUntilBefore(knex, RUN_MESSAGE_HISTORY);
    const before = randomUUID();
    await knex('runs').insert(initRunRow(before, { message: 'Job queued' }));

    await migrateUpOnce(knex);
    expect(await readRun(knex, before)).toMatchObject({ message: 'Job queued', messages: '[]' });
    const after = randomUUID();
    const history = JSON.stringify([{ text: 'Job queued', at: '2026-12-05T06:00:00.000Z' }]);
    await knex('runs').insert(initRunRow(after, { message: 'Job queued', messages: history }));
    expect(await readRun(knex, after)).toMatchObject({ messages: history });

    await migrateDownOnce(knex);
    expect(await knex.schema.hasColumn('runs', 'messages')).toBe(false);
    expect(await readRun(knex, after)).toMatchObject({ message: 'Job queued' });
  });

  it(`${STEP_DROPPED_LOGS} counts no dropped lines for the steps before it and keeps steps going down`, async () => {
    const knex = await databases.init(databaseId);
    await migrateUntilBefore(knex, STEP_DROPPED_LOGS);
    const runId = randomUUID();
    await knex('runs').insert(initRunRow(runId));
    const step = (title: string, position: number) => ({
      run_id: runId,
      position,
      title,
      status: 'complete',
      started_at: new Date(),
      completed_at: null,
      logs: JSON.stringify([title]),
    });
    await knex('run_steps').insert(step('before', 0));

    await migrateUpOnce(knex);
    await knex('run_steps').insert({ ...step('trimmed', 1), dropped_log_lines: 7 });
    expect(await knex('run_steps').where({ run_id: runId }).orderBy('position').select('title', 'dropped_log_lines')).toEqual([
      { title: 'before', dropped_log_lines: 0 },
      { title: 'trimmed', dropped_log_lines: 7 },
    ]);

    await migrateDownOnce(knex);
    expect(await knex.schema.hasColumn('run_steps', 'dropped_log_lines')).toBe(false);
    expect(await knex('run_steps').where({ run_id: runId }).orderBy('position').pluck('title')).toEqual(['before', 'trimmed']);
  });
});
