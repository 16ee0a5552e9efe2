#!/usr/bin/env node
/* eslint-disable no-console */
// Prints PostgreSQL's plans (EXPLAIN ANALYZE) of the runs page and of one expiry sweep batch,
// as the plugin's own store builds them, on a throwaway database holding 1 000 200 runs.
//   node scripts/explain-plans.js      (PostgreSQL at $SSA_BENCH_POSTGRES_URL, default 127.0.0.1:5432)
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const backendDir = path.join(root, 'plugins/self-service-actions-backend');
const fromBackend = name => require(require.resolve(name, { paths: [backendDir, root] }));
// The store is TypeScript: load it through Backstage's own require hook, as the backend does.
fromBackend('@backstage/cli-node/config/nodeTransform.cjs');
const createKnex = fromBackend('knex');
const { Client } = fromBackend('pg');
const { DatabaseRunStore } = require(path.join(backendDir, 'src/database/DatabaseRunStore.ts'));
const { EXPIRED, OPEN_STATUSES } = require(path.join(backendDir, 'src/runs/lifecycle.ts'));

const serverUrl = process.env.SSA_BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const database = `ssa_explain_${process.pid}`;
const databaseUrl = serverUrl.replace(/\/[^/]*$/, `/${database}`);

// The same seed as the benchmark: a million runs over 1000 entities and 5000 users, and 200
// of jane's runs of component:default/payments.
const seedRuns = (count, entityRef, user, status, expires) => `
  INSERT INTO runs (id, action_id, action_name, action_type, action_snapshot, entity_ref, initiated_by,
    status, inputs, links, created_at, updated_at, started_at, expires_at, dispatch_status)
  SELECT gen_random_uuid()::text, 'bench', 'Bench', 'Day2', '{}', ${entityRef}, ${user}, '${status}', '{}', '[]',
    now() - (g || ' seconds')::interval, now(), now(), ${expires}, 'delivered'
  FROM generate_series(1, ${count}) g`;

async function explain(sql, bindings) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, bindings);
    return plan.rows.map(row => row['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

async function main() {
  const admin = createKnex({ client: 'pg', connection: serverUrl });
  await admin.raw(`CREATE DATABASE "${database}"`);
  const db = createKnex({ client: 'pg', connection: databaseUrl });
  try {
    const store = await DatabaseRunStore.create({ database: { getClient: async () => db } });
    await db.raw(seedRuns(1_000_000, "'component:default/svc-' || (g % 1000)", "'user:default/u' || (g % 5000)", 'complete', "now() + interval '1 day'"));
    await db.raw(seedRuns(200, "'component:default/payments'", "'user:default/jane'", 'complete', "now() + interval '1 day'"));
    await db.raw('ANALYZE runs');

    // The runs page as the router asks for it: jane, not an admin, sees her own runs.
    let statement;
    db.on('query', query => {
      statement = query;
    });
    const page = {
      filter: { entityRef: 'component:default/payments' },
      visibility: { all: false, initiatedBy: 'user:default/jane', actionIds: [] },
      limit: 20,
    };
    const first = await store.listRuns(page);
    const second = await store.listRuns({ ...page, cursor: first.nextCursor });
    console.log(`-- runs page: jane's second page of 20 runs of component:default/payments (${second.runs.length} returned), 1 000 200 runs stored`);
    console.log(statement.sql);
    console.log(await explain(statement.sql, statement.bindings));

    // One sweep batch, with 100 000 runs gone stale since the statistics were taken (as when
    // a receiver stops reporting), in a transaction that is rolled back.
    await db
      .transaction(async trx => {
        await trx.raw(seedRuns(100_000, 'null', "'user:default/u' || (g % 5000)", 'inprogress', "now() - interval '1 minute'"));
        const inTransaction = await DatabaseRunStore.create({ database: { getClient: async () => trx }, skipMigrations: true });
        const ended = await inTransaction.expireRuns({
          now: new Date(),
          batchSize: 5000,
          statuses: OPEN_STATUSES,
          ...EXPIRED,
        });
        console.log(`\n-- expiry sweep, second batch (the first ended ${ended.length} runs), 100 000 stale runs not in the statistics`);
        console.log(statement.sql.replace(/\s+/g, ' '));
        const plan = await trx.raw(`EXPLAIN (ANALYZE, BUFFERS) ${statement.sql.replace(/\$\d+/g, '?')}`, statement.bindings);
        console.log(plan.rows.map(row => row['QUERY PLAN']).join('\n'));
        throw new Error('roll back');
      })
      .catch(error => {
        if (error.message !== 'roll back') throw error;
      });
  } finally {
    await db.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.destroy();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
