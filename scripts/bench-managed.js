/* eslint-disable no-console */
// Owner-managed actions in `npm run bench` (scripts/bench.js). SSA_BENCH_MANAGED chooses where
// the entity-page action (`bench-entity`, the main use) comes from:
//   config (default) app-config, with managed actions on (every run list also reads the
//          managed actions' ids and versions);
//   off    app-config, managed actions off (`allowedUrls: []`): the code path of before them;
//   api    created through `POST /actions` after start-up: every run reads its definition
//          from the database (one primary-key read), parsed once.
// `node scripts/bench-managed.js` runs `bench.js --runs-only` in the three modes, in turn,
// and prints each phase's rate side by side.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const mode = process.env.SSA_BENCH_MANAGED ?? 'config';

/** The entity-page action as defined in config and through the API alike. */
const benchEntity = receiverPort => ({
  id: 'bench-entity',
  name: 'Bench on an entity',
  type: 'Day2',
  icon: 'play',
  status: 'Active',
  owner: 'group:default/platform',
  allowedPeople: ['*'],
  appliesTo: ['Service'],
  userInputs: { type: 'object', properties: { n: { type: 'integer' } } },
  method: { type: 'Webhook', url: `http://127.0.0.1:${receiverPort}/hook` },
});

/** The `managedActions` block and, unless made through the API, the entity-page action (YAML). */
function managedConfig(receiverPort) {
  const allowed = mode === 'off' ? '[]' : `['http://127.0.0.1:${receiverPort}/']`;
  const settings = `  managedActions: { allowedUrls: ${allowed}, allowPrivateNetworks: true }\n`;
  if (mode === 'api') return { settings, action: '' };
  // The main use: an action run from an entity's page (the entity read from the catalog as the
  // user, who must be allowed to see it).
  return { settings, action: `    - ${JSON.stringify(benchEntity(receiverPort))}\n` };
}

/** In api mode, creates the entity-page action through the API (as an admin would). */
async function createManagedAction(base, auth, receiverPort) {
  if (mode !== 'api') return;
  const res = await fetch(`${base}/actions`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ ...benchEntity(receiverPort), owner: 'group:default/team-a' }),
  });
  if (res.status !== 201) throw new Error(`POST /actions answered ${res.status}: ${await res.text()}`);
}

module.exports = { managedConfig, createManagedAction, managedMode: mode };

if (require.main === module) {
  const rounds = Number(process.env.SSA_BENCH_ROUNDS ?? 2);
  const patterns = {
    'entity-page runs/s': /entity-page runs created: \d+ of \d+, (\d+) runs\/s/,
    'global runs/s': /global runs created: \d+ of \d+, (\d+) runs\/s/,
  };
  const modes = ['off', 'config', 'api'];
  const results = Object.fromEntries(modes.map(m => [m, []]));
  for (let i = 0; i < rounds; i++) {
    for (const managed of modes) {
      console.log(`\n--- managed ${managed} (round ${i + 1} of ${rounds}) ---`);
      const run = spawnSync(process.execPath, [path.join(__dirname, 'bench.js'), '--runs-only', ...process.argv.slice(2)], {
        env: { ...process.env, SSA_BENCH_MANAGED: managed },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      process.stdout.write(run.stdout);
      results[managed].push(Object.fromEntries(Object.entries(patterns).map(([name, re]) => [name, Number(re.exec(run.stdout)?.[1])])));
    }
  }
  console.log('\nphase | off (before managed actions) | config | api (the action from the database)');
  for (const name of Object.keys(patterns)) {
    const cell = m => results[m].map(r => r[name]).join(', ');
    console.log(`${name} | ${cell('off')} | ${cell('config')} | ${cell('api')}`);
  }
}
