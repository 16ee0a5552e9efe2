#!/usr/bin/env node
/* eslint-disable no-console */
// Benchmark (a script, not a test): the demo backend through the normal Backstage router on
// PostgreSQL (or SQLite with --sqlite), a local receiver, a fixed workload. Prints figures.
//   npm run bench            PostgreSQL at $SSA_BENCH_POSTGRES_URL (default 127.0.0.1:5432)
//   npm run bench -- --sqlite
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const requireFromRoot = name => require(require.resolve(name, { paths: [root, path.join(root, 'plugins/self-service-actions-backend')] }));
const autocannon = requireFromRoot('autocannon');
const { hostilePhase, ECHO_ROUTE } = require('./bench-hostile');
const { cpuSnapshot: cpuOf, cpuUsed } = require('./bench-cpu');
const { eventsConfig, EVENTS_ROUTE, eventsCount, eventsSummary, eventsMode } = require('./bench-events');
// Where the entity-page action comes from (app-config or POST /actions): scripts/bench-managed.js.
const { managedConfig, createManagedAction, managedMode } = require('./bench-managed');
const cpuSnapshot = (backendPid, receiverPid) => cpuOf(backendPid, receiverPid, { postgres: !sqlite });
const cliDir = path.dirname(require.resolve('@backstage/cli/package.json', { paths: [root] }));
const sqlite = process.argv.includes('--sqlite');
// --load-only: the run and report figures only (no million-run seed, no sweep), for quick comparisons.
const loadOnly = process.argv.includes('--load-only');
// --runs-only: the run figures only (entity-page and global), for profiling run creation.
const runsOnly = process.argv.includes('--runs-only');
const postgresUrl = process.env.SSA_BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const prefix = `ssa_bench_${process.pid}_`;
const PORT = 7217;
const RECEIVER_PORT = 7218;
const LOG_LEVEL = 'warn';
// V8 sizes its heap from the memory it may use (hundreds of MB here; 256 MB old space in a 512 MiB
// pod). The backend runs with a pod's limit unless SSA_BENCH_NODE_ARGS sets its own.
const HEAP_LIMIT_MB = 256;
const nodeArgsFromEnv = (process.env.SSA_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const heapArgs = nodeArgsFromEnv.some(arg => arg.startsWith('--max-old-space-size'))
  ? []
  : [`--max-old-space-size=${HEAP_LIMIT_MB}`];
// 2000 runs (6000 reports): a phase of a few seconds, so one pause (a GC, a task) does not decide the p99.
const RUNS = Number(process.env.SSA_BENCH_RUNS ?? 2000);
// Per action. With 500, the first measured phase ran a fifth slower (session 6): 2 000 lets it settle.
const WARM_UP_RUNS = Number(process.env.SSA_BENCH_WARM_UP ?? 2000);
const CONNECTIONS = 64;
const STEPS = 3;
const LOG_LINES = 5;
const LIST_RUNS = sqlite ? 100_000 : 1_000_000;
const STALE_RUNS = 100_000;
const base = `http://localhost:${PORT}/api/self-service-actions`;
// A Service of the demo catalog (examples/), owned by team-a, which the guest user may see.
const BENCH_ENTITY = 'component:default/payments';

// The receiver runs in its own process, so the load generator does not slow it down. It
// answers 202 at once and keeps each run's report token for the report phase.
const RECEIVER_SOURCE = `
const http = require('node:http');
const tokens = [];
let eventsReceived = 0;
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    ${EVENTS_ROUTE}
    if (req.method === 'GET') return res.end(JSON.stringify(tokens));
    if (req.method === 'DELETE') return res.end(String(tokens.splice(0).length));
    ${ECHO_ROUTE}
    tokens.push(JSON.parse(Buffer.concat(chunks).toString('utf8')).reportToken);
    res.writeHead(202).end();
  });
}).listen(${RECEIVER_PORT}, '127.0.0.1');
`;
function startReceiver() {
  return spawn(process.execPath, ['-e', RECEIVER_SOURCE], { stdio: 'inherit' });
}

function startBackend() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssa-bench-'));
  const config = path.join(dir, 'bench.yaml');
  fs.writeFileSync(
    config,
    `backend:
  baseUrl: http://localhost:${PORT}
  listen: { port: ${PORT} }
  database:
${sqlite ? `    client: better-sqlite3
    connection: ':memory:'` : `    client: pg
    connection: ${postgresUrl}
    prefix: ${prefix}
    knexConfig: { pool: { min: 2, max: ${process.env.SSA_BENCH_POOL ?? 64} } }`}
selfServiceActions:
  sweepFrequency: { seconds: 1 }
${process.env.SSA_BENCH_ENTITY_CACHE_TTL ? `  entityCacheTtl: '${process.env.SSA_BENCH_ENTITY_CACHE_TTL}'
` : ''}${eventsConfig(RECEIVER_PORT)}${managedConfig(RECEIVER_PORT).settings}  actions:
    - id: bench
      name: Bench
      type: Day2
      icon: play
      status: Active
      owner: group:default/platform
      allowedPeople: ['*']
      userInputs: { type: object, properties: { n: { type: integer } } }
      method: { type: Webhook, url: 'http://127.0.0.1:${RECEIVER_PORT}/hook' }
    # A receiver that refuses runs by echoing what it got, report token included (hostile phase).
    - id: bench-echo
      name: Bench echo
      type: Day2
      icon: play
      status: Active
      owner: group:default/platform
      allowedPeople: ['*']
      method: { type: Webhook, url: 'http://127.0.0.1:${RECEIVER_PORT}/echo' }
${managedConfig(RECEIVER_PORT).action}`,
  );
  // Node runs the backend itself, as in production: no backstage-cli watcher process and no
  // --enable-source-maps (which makes every stack trace costly). TypeScript is transpiled on
  // load by Backstage's own require hook, so the code that runs is the same.
  const nodeArgs = [
    ...heapArgs,
    ...nodeArgsFromEnv,
    '--require', require.resolve('@backstage/cli-node/config/nodeTransform.cjs', { paths: [cliDir] }),
  ];
  const child = spawn(process.execPath, [...nodeArgs, 'src/index.ts', '--config', '../../app-config.yaml', '--config', config], {
    cwd: path.join(root, 'packages/backend'),
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  return child;
}

async function waitFor(check, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 500));
  }
}

// The backend is the node process itself (no wrapper), so its own high-water mark is the figure.
function peakRssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

// Resident memory of the backend, sampled through the run: the peak of each phase says which
// part of the workload grows the process.
const rssByPhase = new Map();
let phase = 'start-up';
function sampleRss(pid) {
  return setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      rssByPhase.set(phase, Math.max(rssByPhase.get(phase) ?? 0, kb / 1024));
    } catch {
      // the process is gone
    }
  }, 100);
}

// Runs a fixed number of requests. autocannon ends its run on a one-second tick, so its own
// duration is rounded up to whole seconds; the rate here is measured from the first request to
// the last response.
const run = options =>
  new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let lastResponse = started;
    const instance = autocannon(options, (error, result) => {
      if (error) return reject(error);
      resolve({ ...result, duration: Number(lastResponse - started) / 1e9 });
    });
    instance.on('response', () => {
      lastResponse = process.hrtime.bigint();
    });
  });

async function settle(pid) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const before = cpuOf(pid, pid, { postgres: false }).backend;
    await new Promise(r => setTimeout(r, 1000));
    const used = cpuOf(pid, pid, { postgres: false }).backend - before;
    if (used < 0.05 || Date.now() > deadline) {
      console.log(`backend idle before measuring (${(used * 100).toFixed(0)}% of a core over 1 s)`);
      return;
    }
  }
}

async function database() {
  if (sqlite) return undefined;
  const { Client } = requireFromRoot('pg');
  const client = new Client({ connectionString: postgresUrl.replace(/\/[^/]*$/, `/${prefix}self-service-actions`) });
  await client.connect();
  return client;
}

(async () => {
  console.log(`self-service actions benchmark: ${sqlite ? 'SQLite (in memory)' : 'PostgreSQL'}, events ${eventsMode}, entity-page action from ${managedMode === 'api' ? 'the API' : `config (managed actions ${managedMode === 'off' ? 'off' : 'on'})`}, LOG_LEVEL=${LOG_LEVEL}, ${os.cpus().length} cores, node ${process.version} ${[...heapArgs, ...nodeArgsFromEnv].join(' ')}`);
  for (const port of [PORT, RECEIVER_PORT]) {
    // A backend left over from an earlier run would be measured instead of this one.
    if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) {
      throw new Error(`Port ${port} is in use: stop whatever listens there first`);
    }
  }
  const receiver = startReceiver();
  const backend = startBackend();
  let db;
  const sampler = sampleRss(backend.pid);
  try {
    await waitFor(async () => (await fetch(`${base}/actions`)).status === 401, 120_000);
    const token = await waitFor(async () => {
      const res = await fetch(`http://localhost:${PORT}/api/auth/guest/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
      return (await res.json()).backstageIdentity.token;
    }, 30_000);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await createManagedAction(base, auth, RECEIVER_PORT);

    // Warm-up, not counted: the catalog finishes its first processing of the example entities
    // and V8 compiles the hot paths, as in a backend that has been up for a while.
    await run({
      url: `${base}/actions/bench/runs`, method: 'POST', headers: auth, body: JSON.stringify({ inputs: { n: 0 } }),
      connections: CONNECTIONS, amount: WARM_UP_RUNS,
    });
    await run({
      url: `${base}/actions/bench-entity/runs`, method: 'POST', headers: auth,
      body: JSON.stringify({ entityRef: BENCH_ENTITY, inputs: { n: 0 } }),
      connections: CONNECTIONS, amount: WARM_UP_RUNS,
    });
    const warmUpTokens = await (await fetch(`http://127.0.0.1:${RECEIVER_PORT}/tokens`)).json();
    await run({
      url: `${base}/report`, method: 'POST', connections: CONNECTIONS, amount: warmUpTokens.length,
      requests: [{ setupRequest: req => ({ ...req, headers: { 'content-type': 'application/json', 'x-report-token': warmUpTokens.pop() }, body: JSON.stringify({
        status: 'complete', startedAt: new Date().toISOString(),
        steps: [{ title: 'Warm-up', status: 'complete', startedAt: new Date().toISOString(), logs: ['warm'] }],
      }) }) }],
    });
    await fetch(`http://127.0.0.1:${RECEIVER_PORT}/tokens`, { method: 'DELETE' });

    // The catalog keeps processing the example entities for a while after start-up; the first
    // phase measured while it does would pay for it (by a fifth, seen here). Wait until the
    // backend is idle: under 5 % of a core over a second, for at most a minute.
    await settle(backend.pid);

    // 1. runs of an action on an entity's page created/s (the main use), each including the
    // entity's read from the catalog as the user and the webhook round trip; not reported on
    phase = 'entity-page runs';
    const loadStartedAt = Date.now();
    const eventsAtStart = eventsMode === 'on' ? await eventsCount(RECEIVER_PORT) : 0;
    let cpuBefore = cpuSnapshot(backend.pid, receiver.pid);
    const onEntity = await run({
      url: `${base}/actions/bench-entity/runs`, method: 'POST', headers: auth,
      body: JSON.stringify({ entityRef: BENCH_ENTITY, inputs: { n: 2 } }),
      connections: CONNECTIONS, amount: RUNS,
    });
    console.log(`entity-page runs created: ${onEntity['2xx']} of ${RUNS}, ${(onEntity['2xx'] / onEntity.duration).toFixed(0)} runs/s, p50 ${onEntity.latency.p50} ms, p99 ${onEntity.latency.p99} ms (${BENCH_ENTITY}, webhook round trip included)`);
    console.log(`  CPU while creating entity-page runs (100% = one core): ${cpuUsed(cpuBefore, cpuSnapshot(backend.pid, receiver.pid), onEntity.duration)}`);
    await fetch(`http://127.0.0.1:${RECEIVER_PORT}/tokens`, { method: 'DELETE' });

    phase = 'runs';
    // 2. runs of a global action created/s, each including its webhook round trip
    cpuBefore = cpuSnapshot(backend.pid, receiver.pid);
    const created = await run({
      url: `${base}/actions/bench/runs`, method: 'POST', headers: auth, body: JSON.stringify({ inputs: { n: 1 } }),
      connections: CONNECTIONS, amount: RUNS,
    });
    console.log(`global runs created: ${created['2xx']} of ${RUNS}, ${(created['2xx'] / created.duration).toFixed(0)} runs/s, p50 ${created.latency.p50} ms, p99 ${created.latency.p99} ms (webhook round trip included)`);
    console.log(`  CPU while creating runs (100% = one core): ${cpuUsed(cpuBefore, cpuSnapshot(backend.pid, receiver.pid), created.duration)}`);

    if (runsOnly) return;
    // 3. status reports: each (global) run gets STEPS reports, one per step, each step with LOG_LINES lines
    const tokens = await (await fetch(`http://127.0.0.1:${RECEIVER_PORT}/tokens`)).json();
    const reports = [];
    for (let s = 0; s < STEPS; s++) {
      for (const t of tokens) {
        const steps = Array.from({ length: s + 1 }, (_, i) => ({
          title: `Step ${i + 1}`, status: i < s ? 'complete' : 'inprogress', startedAt: new Date().toISOString(),
          logs: Array.from({ length: LOG_LINES }, (_, l) => `step ${i + 1} line ${l + 1}`),
        }));
        reports.push({ token: t, body: JSON.stringify({ status: 'inprogress', startedAt: new Date().toISOString(), steps }) });
      }
    }
    phase = 'reports';
    let next = 0;
    cpuBefore = cpuSnapshot(backend.pid, receiver.pid);
    const reported = await run({
      url: `${base}/report`, method: 'POST', connections: CONNECTIONS, amount: reports.length,
      requests: [{ setupRequest: req => {
        const r = reports[next++ % reports.length];
        return { ...req, headers: { 'content-type': 'application/json', 'x-report-token': r.token }, body: r.body };
      } }],
    });
    console.log(`status reports: ${reported['2xx']} of ${reports.length} accepted, ${(reported['2xx'] / reported.duration).toFixed(0)} reports/s, p50 ${reported.latency.p50} ms, p99 ${reported.latency.p99} ms at ${CONNECTIONS} connections`);
    console.log(`  CPU while reporting (100% = one core): ${cpuUsed(cpuBefore, cpuSnapshot(backend.pid, receiver.pid), reported.duration)}`);

    // 3b. the same reports again, with 5 % hostile requests alongside (reporters and an echoing
    // receiver); the hostile reports go to a run of their own
    phase = 'hostile';
    await fetch(`http://127.0.0.1:${RECEIVER_PORT}/tokens`, { method: 'DELETE' });
    await fetch(`${base}/actions/bench/runs`, { method: 'POST', headers: auth, body: JSON.stringify({ inputs: { n: 3 } }) });
    const [hostileToken] = await (await fetch(`http://127.0.0.1:${RECEIVER_PORT}/tokens`)).json();
    await hostilePhase({
      autocannon, url: `http://localhost:${PORT}`, base, auth, reports, connections: CONNECTIONS,
      cleanRate: reported['2xx'] / reported.duration, hostileToken,
    });

    db = await database();
    await eventsSummary({ receiverPort: RECEIVER_PORT, db, loadStartedAt, countAtStart: eventsAtStart });
    if (db) {
      // The measured runs have inputs {"n":1}; the warm-up runs {"n":0} and no steps.
      const counts = (await db.query(`SELECT (SELECT count(*) FROM runs WHERE inputs = '{"n":1}') AS runs,
          (SELECT count(*) FROM run_steps JOIN runs ON runs.id = run_steps.run_id WHERE inputs = '{"n":1}') AS steps,
          (SELECT coalesce(sum(json_array_length(logs::json)), 0) FROM run_steps JOIN runs ON runs.id = run_steps.run_id WHERE inputs = '{"n":1}') AS lines,
          (SELECT count(*) FROM runs WHERE inputs = '{"n":0}' AND status = 'complete') AS warm_up`)).rows[0];
      console.log(`rows after the load: ${counts.runs} runs, ${counts.steps} steps, ${counts.lines} log lines (expected ${RUNS}, ${RUNS * STEPS}, ${RUNS * STEPS * LOG_LINES}); warm-up: ${counts.warm_up} of ${2 * WARM_UP_RUNS} runs completed (global and entity-page)`);

    }
    if (db && !loadOnly) {
      // 4. runs page with many runs stored, as a non-admin, second cursor page of one entity
      const started = Date.now();
      await db.query(`INSERT INTO runs (id, action_id, action_name, action_type, action_snapshot, entity_ref, initiated_by, status, inputs, links, created_at, updated_at, started_at, expires_at, dispatch_status)
        SELECT gen_random_uuid()::text, 'bench', 'Bench', 'Day2', '{}', 'component:default/svc-' || (g % 1000), 'user:default/u' || (g % 5000),
               'complete', '{}', '[]', now() - (g || ' seconds')::interval, now(), now(), now() + interval '1 day', 'delivered'
        FROM generate_series(1, ${LIST_RUNS}) g`);
      await db.query(`INSERT INTO runs (id, action_id, action_name, action_type, action_snapshot, entity_ref, initiated_by, status, inputs, links, created_at, updated_at, started_at, expires_at, dispatch_status)
        SELECT gen_random_uuid()::text, 'bench', 'Bench', 'Day2', '{}', 'component:default/payments', 'user:default/jane',
               'complete', '{}', '[]', now() - (g || ' seconds')::interval, now(), now(), now() + interval '1 day', 'delivered'
        FROM generate_series(1, 200) g`);
      await db.query('ANALYZE runs');
      console.log(`seeded ${LIST_RUNS + 200} more runs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      phase = 'runs page';
      const entity = encodeURIComponent('component:default/payments');
      const first = await (await fetch(`${base}/runs?entityRef=${entity}&limit=20`, { headers: auth })).json();
      const pageUrl = `${base}/runs?entityRef=${entity}&limit=20&cursor=${first.nextCursor}`;
      const times = [];
      for (let i = 0; i < 300; i++) {
        const t0 = process.hrtime.bigint();
        const res = await fetch(pageUrl, { headers: auth });
        await res.json();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      console.log(`runs page (non-admin jane, one entity, second cursor page, ${LIST_RUNS + RUNS + 200} runs stored): p50 ${times[150].toFixed(1)} ms, p95 ${times[284].toFixed(1)} ms over 300 requests`);

      // 5. expiry sweep of many stale runs (the sweep task runs every second)
      await db.query(`INSERT INTO runs (id, action_id, action_name, action_type, action_snapshot, entity_ref, initiated_by, status, inputs, links, created_at, updated_at, started_at, expires_at, dispatch_status)
        SELECT gen_random_uuid()::text, 'bench', 'Bench', 'Day2', '{}', NULL, 'user:default/jane',
               'inprogress', '{}', '[]', now(), now(), now(), now() - interval '1 minute', 'delivered'
        FROM generate_series(1, ${STALE_RUNS}) g`);
      phase = 'sweep';
      const stored = Date.now();
      // Polled every 100 ms with index-only probes (a count would load the database while it
      // sweeps): when the first stale run was terminated, and when none was left.
      const probe = async sql => (await db.query(`SELECT exists(${sql}) AS found`)).rows[0].found;
      let lastUntouched = stored;
      let sweepStarted = false;
      for (;;) {
        const polled = Date.now();
        if (!sweepStarted) {
          sweepStarted = await probe("SELECT 1 FROM runs WHERE status = 'terminated'");
          if (!sweepStarted) lastUntouched = polled;
        }
        if (!(await probe("SELECT 1 FROM runs WHERE status = 'inprogress' AND expires_at < now()"))) break;
        if (polled - stored > 600_000) throw new Error('the sweep did not end');
        await new Promise(r => setTimeout(r, 100));
      }
      const done = Date.now();
      console.log(`expiry sweep: ${STALE_RUNS} stale runs terminated ${((done - stored) / 1000).toFixed(1)} s after they were stored; the sweep itself ${((done - lastUntouched) / 1000).toFixed(1)} s (the rest is waiting for its next turn: every 1 s, batches of 5000, two at a time)`);
    }
    clearInterval(sampler);
    const phases = [...rssByPhase].map(([name, mb]) => `${name} ${mb.toFixed(0)}`).join(', ');
    console.log(`backend peak RSS (VmHWM): ${peakRssMb(backend.pid).toFixed(0)} MB (peak by phase, MB: ${phases})`);
  } finally {
    clearInterval(sampler);
    try { process.kill(-backend.pid, 'SIGTERM'); } catch { /* gone */ }
    receiver.kill();
    if (db) await db.end();
    if (!sqlite) {
      await new Promise(r => setTimeout(r, 2000));
      const { Client } = requireFromRoot('pg');
      const admin = new Client({ connectionString: postgresUrl });
      await admin.connect();
      const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      await admin.end();
    }
  }
})().catch(error => {
  console.error(error);
  process.exit(1);
});
