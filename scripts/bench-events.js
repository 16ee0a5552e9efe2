/* eslint-disable no-console */
// Lifecycle events in `npm run bench` (scripts/bench.js). SSA_BENCH_EVENTS chooses:
//   on  (default) one healthy subscriber (the bench receiver, answering 204 at once) and one
//       dead one (nothing listens at its port): every run writes its events and two deliveries
//       each, which the backend sends while the load runs (more slowly while it is busy);
//   off no subscriber, no events service: the store writes no events at all.
// `node scripts/bench-events.js` runs `bench.js --load-only` off and on, alternately, and
// prints each phase's rate side by side with the ratio on/off.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const mode = process.env.SSA_BENCH_EVENTS ?? 'on';
const HEALTHY = 'bench-healthy';

/** The `selfServiceActions.events` block of the bench config (indented for it). */
function eventsConfig(receiverPort) {
  if (mode === 'off') {
    return `  events:
    eventsService: false
    subscribers: []
`;
  }
  return `  events:
    eventsService: false
    subscribers:
      - { id: ${HEALTHY}, url: 'http://127.0.0.1:${receiverPort}/events', signingSecret: 'bench-events-signing-secret-0123456789' }
      # Port 9 (discard): nothing listens there, every attempt is refused.
      - { id: bench-dead, url: 'http://127.0.0.1:9/events', signingSecret: 'bench-events-signing-secret-0123456789' }
`;
}

/** The receiver's route for events: counts them, answers 204; GET /events-count tells. */
const EVENTS_ROUTE = `if (req.url === '/events') { eventsReceived++; return res.writeHead(204).end(); }
    if (req.url === '/events-count') return res.end(String(eventsReceived));`;

async function eventsCount(receiverPort) {
  return Number(await (await fetch(`http://127.0.0.1:${receiverPort}/events-count`)).text());
}

/**
 * After the load: how many events the healthy subscriber got while it ran (and per second of
 * it), and how long the rest took to arrive (PostgreSQL: until none is pending for it).
 */
async function eventsSummary({ receiverPort, db, loadStartedAt, countAtStart }) {
  if (mode === 'off') return;
  const loadEnded = Date.now();
  const duringLoad = (await eventsCount(receiverPort)) - countAtStart;
  const seconds = (loadEnded - loadStartedAt) / 1000;
  let drained = '';
  if (db) {
    for (;;) {
      const { rows } = await db.query(
        "SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'delivered') AS delivered FROM event_deliveries WHERE subscriber_id = $1",
        [HEALTHY],
      );
      if (Number(rows[0].pending) === 0 || Date.now() - loadEnded > 300_000) {
        drained = `; the last of ${rows[0].delivered} delivered ${((Date.now() - loadEnded) / 1000).toFixed(1)} s after the load (${rows[0].pending} pending)`;
        break;
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }
  const total = (await eventsCount(receiverPort)) - countAtStart;
  console.log(`events to the healthy subscriber: ${duringLoad} during the load (${(duringLoad / seconds).toFixed(0)} events/s over ${seconds.toFixed(1)} s), ${total} in all${drained}`);
}

module.exports = { eventsConfig, EVENTS_ROUTE, eventsCount, eventsSummary, eventsMode: mode };

if (require.main === module) {
  // Off and on, alternately, so that drifts of the machine's speed fall on both.
  const pairs = Number(process.env.SSA_BENCH_PAIRS ?? 2);
  const patterns = {
    'entity-page runs/s': /entity-page runs created: \d+ of \d+, (\d+) runs\/s/,
    'global runs/s': /global runs created: \d+ of \d+, (\d+) runs\/s/,
    'reports/s': /status reports: \d+ of \d+ accepted, (\d+) reports\/s/,
  };
  const results = { off: [], on: [] };
  for (let i = 0; i < pairs; i++) {
    for (const events of ['off', 'on']) {
      console.log(`\n--- events ${events} (pair ${i + 1} of ${pairs}) ---`);
      const run = spawnSync(process.execPath, [path.join(__dirname, 'bench.js'), '--load-only', ...process.argv.slice(2)], {
        env: { ...process.env, SSA_BENCH_EVENTS: events },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      process.stdout.write(run.stdout);
      if (run.status !== 0) process.exit(run.status ?? 1);
      results[events].push(Object.fromEntries(
        Object.entries(patterns).map(([name, pattern]) => [name, Number(run.stdout.match(pattern)?.[1])]),
      ));
    }
  }
  console.log('\n| | events off | events on | on / off |\n|---|---|---|---|');
  for (const name of Object.keys(patterns)) {
    const off = results.off.map(r => r[name]);
    const on = results.on.map(r => r[name]);
    const mean = values => values.reduce((a, b) => a + b, 0) / values.length;
    console.log(`| ${name} | ${off.join(', ')} | ${on.join(', ')} | ${(mean(on) / mean(off)).toFixed(2)} |`);
  }
}
