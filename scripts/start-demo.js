#!/usr/bin/env node
/* eslint-disable no-console */
// Starts the demo: the example webhook receiver, the demo backend and (when present) the demo
// app. Extra arguments are passed to the backend as config files, e.g.
//   npm start -- --config packages/backend/app-config.postgres.yaml
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { seedManagedAction } = require('./demo-managed-action');

const root = path.resolve(__dirname, '..');
const cli = require.resolve('@backstage/cli/bin/backstage-cli', { paths: [root] });
const extraConfig = process.argv.slice(2).flatMap((arg, i, all) =>
  all[i - 1] === '--config' ? [path.resolve(root, arg)] : [],
);

const children = [];
function run(name, command, args, cwd, env = {}) {
  const child = spawn(command, args, {
    cwd: path.join(root, cwd),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', code => {
    console.log(`[demo] ${name} exited (${code}); stopping the demo`);
    shutdown(code ?? 1);
  });
  children.push(child);
}

let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

run('receiver', process.execPath, ['src/main.js'], 'packages/example-webhook-receiver');
run(
  'backend',
  process.execPath,
  [cli, 'package', 'start', '--config', '../../app-config.yaml', ...extraConfig.flatMap(c => ['--config', c])],
  'packages/backend',
  { NODE_ENV: 'development' },
);
const hasApp = fs.existsSync(path.join(root, 'packages/app/package.json'));
// Jane's team's action made in the portal (scripts/demo-managed-action.js), once the backend is up.
seedManagedAction({ backendUrl: 'http://localhost:7007', receiverUrl: process.env.DEMO_RECEIVER_URL ?? 'http://127.0.0.1:7008' })
  .then(done => console.log(`[demo] ${done}: open the payments service > Self-service > Purge CDN cache > Edit`))
  .catch(error => console.log(`[demo] the managed demo action was not created: ${error.message}`));
if (hasApp) {
  run('app', process.execPath, [cli, 'package', 'start', '--config', '../../app-config.yaml'], 'packages/app', {
    NODE_ENV: 'development',
  });
}

console.log(`
[demo] Starting: example receiver on http://127.0.0.1:7008, backend on http://localhost:7007${
  hasApp ? ', app on http://localhost:3000 (open it and click Enter to sign in as the guest Jane)' : ''
}.
[demo] Try it from a shell once the backend says "Plugin initialization complete":
  TOKEN=$(curl -s -H 'X-Requested-With: XMLHttpRequest' http://localhost:7007/api/auth/guest/refresh | node -pe 'JSON.parse(require("fs").readFileSync(0)).backstageIdentity.token')
  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"entityRef":"component:default/payments","inputs":{"reason":"demo"}}' \\
    http://localhost:7007/api/self-service-actions/actions/restart-service/runs
  curl -s -H "Authorization: Bearer $TOKEN" http://localhost:7007/api/self-service-actions/runs/<id from above>
`);
