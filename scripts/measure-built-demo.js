#!/usr/bin/env node
/* eslint-disable no-console */
// Measures, in the production build of the demo app, the time from clicking an entity's
// Self-service tab to an interactive run form (Playwright + Debian Chromium). Not a test.
//   (cd packages/app && npx backstage-cli package build --config ../../app-config.yaml)
//   node scripts/measure-built-demo.js [rounds]
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'packages/app/dist');
const rounds = Number(process.argv[2] ?? 5);
const { chromium } = require(require.resolve('playwright-core', { paths: [path.join(root, 'packages/app')] }));
const cli = require.resolve('@backstage/cli/bin/backstage-cli', { paths: [root] });

const types = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png', '.ico': 'image/x-icon' };
function serveDist() {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = path.join(dist, path.normalize(url.pathname));
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      file = path.join(dist, 'index.html');
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  }).listen(3000, '127.0.0.1');
}

async function waitFor(url, ok) {
  for (let i = 0; i < 240; i++) {
    const status = await fetch(url).then(r => r.status, () => 0);
    if (ok(status)) return;
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`${url} did not come up`);
}

(async () => {
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error('Build the app first (see the header of this script)');
  const server = serveDist();
  const receiver = spawn(process.execPath, ['src/main.js'], { cwd: path.join(root, 'packages/example-webhook-receiver'), stdio: 'ignore' });
  const backend = spawn(process.execPath, [cli, 'package', 'start', '--config', '../../app-config.yaml'], {
    cwd: path.join(root, 'packages/backend'),
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  try {
    await waitFor('http://localhost:7007/api/self-service-actions/actions', s => s === 401);
    await new Promise(r => setTimeout(r, 5000)); // let the catalog ingest the demo entities
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const times = [];
    for (let i = 0; i < rounds; i++) {
      const page = await (await browser.newContext()).newPage();
      await page.goto('http://localhost:3000/catalog/default/component/payments');
      await page.getByRole('button', { name: 'Enter' }).click();
      const tab = page.getByRole('tab', { name: 'Self-service' });
      await tab.waitFor();
      const start = Date.now();
      await tab.click();
      await page.getByRole('button', { name: 'Run Restart service' }).click();
      await page.getByLabel('Reason').waitFor();
      times.push(Date.now() - start);
      await page.context().close();
    }
    await browser.close();
    times.sort((a, b) => a - b);
    console.log(`tab click to interactive form (built app, ${rounds} rounds): median ${times[Math.floor(times.length / 2)]} ms, min ${times[0]} ms, max ${times[times.length - 1]} ms`);
  } finally {
    backend.kill('SIGTERM');
    receiver.kill('SIGTERM');
    server.close();
  }
})().catch(error => {
  console.error(error);
  process.exit(1);
});
