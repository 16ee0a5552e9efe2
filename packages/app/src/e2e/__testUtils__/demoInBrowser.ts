/*
 * The demo as the browser tests run it: two demo backends on one PostgreSQL database (the
 * second signs in as olivia), the app dev server, the example receiver, and Debian's Chromium
 * driven by playwright-core.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';
import { createReceiver, DEMO_EVENTS_SECRET } from 'example-webhook-receiver';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = path.resolve(__dirname, '../../../../..');
const cli = require.resolve('@backstage/cli/bin/backstage-cli', { paths: [root] });
const appPort = 3100;
const backendPort = 7147;
// A second instance on the same PostgreSQL database, signed in as olivia (platform team): the
// second identity that approves in the browser.
const secondPort = 7157;
export const appUrl = `http://localhost:${appPort}`;
export const backendUrl = `http://localhost:${backendPort}`;
export const secondUrl = `http://localhost:${secondPort}`;
const postgresUrl =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432/postgres';
const databasePrefix = `ssa_e2e_${process.pid}_`;
// The README's pictures are refreshed with UPDATE_SCREENSHOTS=1; otherwise they go to a temp dir.
export const screenshots = process.env.UPDATE_SCREENSHOTS
  ? path.join(root, 'docs/images')
  : fs.mkdtempSync(path.join(os.tmpdir(), 'ssa-screenshots-'));

// Warnings React and MUI v4 / RJSF print in development about their own internals.
const LIBRARY_WARNINGS = [/findDOMNode is deprecated/, /Support for defaultProps will be removed/, /The prop `rows` of `ForwardRef\(TextField\)` is deprecated/];

export const processes: ChildProcess[] = [];
let browser: Browser | undefined;
let receiver: ReturnType<typeof createReceiver> | undefined;
/** Steps the receiver keeps in progress until a test releases them (see holdStep). */
const heldSteps = new Map<string, { promise: Promise<void>; release: () => void }>();

/** Set once the tests are over: processes exiting then are expected to. */
let stopping = false;

function start(cwd: string, args: string[], env: Record<string, string>) {
  const output: string[] = [];
  const child = spawn(process.execPath, [cli, 'package', 'start', ...args], {
    cwd: path.join(root, cwd),
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', d => output.push(String(d)));
  child.stderr!.on('data', d => output.push(String(d)));
  // A process that dies while the tests run says why (the tests would only see refused calls).
  child.once('exit', (code, signal) => {
    if (!stopping) {
      // eslint-disable-next-line no-console
      console.error(`${cwd} ${args.join(' ')} exited (${code ?? signal}) during the tests:\n${output.join('').slice(-5000)}`);
    }
  });
  processes.push(child);
  return { child, output };
}

async function waitForUrl(url: string, ok: (status: number) => boolean, timeoutMs: number, what: { output: string[]; child: ChildProcess }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (what.child.exitCode !== null) throw new Error(`exited early:\n${what.output.join('')}`);
    const status = await fetch(url).then(r => r.status, () => 0);
    if (ok(status)) return;
    if (Date.now() > deadline) throw new Error(`${url} not up in time:\n${what.output.join('').slice(-3000)}`);
    await new Promise(r => setTimeout(r, 500));
  }
}

export async function guestToken(url = backendUrl): Promise<string> {
  const res = await fetch(`${url}/api/auth/guest/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
  return (await res.json()).backstageIdentity.token;
}

/** Drops the databases (one per plugin) the backends created. */
async function dropDatabases() {
  // pg is a dependency of the demo backend
  const { Client } = require(require.resolve('pg', { paths: [path.join(root, 'packages/backend')] }));
  const client = new Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `${databasePrefix}%`,
    ]);
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

/** Starts the demo (two backends on PostgreSQL, the app dev server, the receiver) and Chromium. */
export async function startDemoInBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  }
  receiver = createReceiver({
    stepDelayMs: 1000,
    holdStep: (runId, title) => heldSteps.get(`${runId} ${title}`)?.promise,
    log: () => {},
    signingSecret: 'whsec_eln4ilYOy1NJc7IDmI6rjnsCvV9noUHEAvUla7C7JDA=',
  });
  await new Promise<void>(resolve => receiver!.server.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;

  const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ssa-e2e-')), 'e2e.yaml');
  fs.writeFileSync(
    config,
    [
      'app:',
      `  baseUrl: ${appUrl}`,
      'backend:',
      `  baseUrl: ${backendUrl}`,
      '  listen:',
      `    port: ${backendPort}`,
      '  cors:',
      `    origin: ${appUrl}`,
      // Lifecycle events: the demo's subscriber, and one nobody listens for whose deliveries
      // fail within seconds (for the admins' view of failed deliveries).
      'selfServiceActions:',
      '  events:',
      '    retryDelay: { seconds: 1 }',
      '    retryFor: { seconds: 4 }',
      '    subscribers:',
      `      - { id: demo-receiver, url: '${receiverUrl}/events', signingSecret: '${DEMO_EVENTS_SECRET}' }`,
      `      - { id: audit-sink, url: 'http://127.0.0.1:9/events', signingSecret: 'e2e-audit-sink-signing-secret-0123', types: [run.created] }`,
      '',
    ].join('\n'),
  );
  const configArgs = ['--config', '../../app-config.yaml', '--config', config];
  // On PostgreSQL, so that a second instance (another identity) shares the runs and the
  // auth keys that sign its users' tokens.
  const postgres = ['--config', path.join(root, 'packages/backend/app-config.postgres.yaml')];
  const databaseEnv = { SSA_DEMO_POSTGRES_URL: postgresUrl, SSA_DEMO_DATABASE_PREFIX: databasePrefix };
  const backend = start('packages/backend', [...configArgs, ...postgres], {
    DEMO_RECEIVER_URL: receiverUrl,
    ...databaseEnv,
  });
  const app = start('packages/app', configArgs, { BROWSER: 'none' });
  await waitForUrl(`${backendUrl}/api/self-service-actions/actions`, s => s === 401, 120_000, backend);
  // started after the first: two instances migrating at once can trip over the migration lock
  const secondConfig = path.join(path.dirname(config), 'second.yaml');
  fs.writeFileSync(
    secondConfig,
    `backend:\n  baseUrl: ${secondUrl}\n  listen:\n    port: ${secondPort}\n`,
  );
  const second = start(
    'packages/backend',
    [...configArgs, ...postgres, '--config', path.join(root, 'packages/backend/app-config.instance2.yaml'), '--config', secondConfig],
    { DEMO_RECEIVER_URL: receiverUrl, ...databaseEnv },
  );
  await waitForUrl(`${secondUrl}/api/self-service-actions/actions`, s => s === 401, 120_000, second);
  await waitForUrl(appUrl, s => s === 200, 180_000, app);
  // Jane's team's action made in the portal, as `npm start` creates it.
  const { seedManagedAction } = require(path.join(root, 'scripts/demo-managed-action.js'));
  await seedManagedAction({ backendUrl, receiverUrl });
  // the guest user must be in the catalog before signing in, or it would get no groups
  const token = await guestToken();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${backendUrl}/api/self-service-actions/actions?entityRef=component:default/payments`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status === 200) break;
    await new Promise(r => setTimeout(r, 500));
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const openContexts: BrowserContext[] = [];

/**
 * Closes the pages the last test opened: each keeps following runs (signals, polling), and a
 * dozen of them left open slow the dev server and the backends for the tests after.
 */
export async function closePages() {
  await Promise.all(openContexts.splice(0).map(context => context.close()));
}

/** Stops everything startDemoInBrowser started and drops its databases. */
export async function stopDemoInBrowser() {
  stopping = true;
  await browser?.close();
  receiver?.server.close();
  for (const child of processes) {
    child.kill('SIGTERM');
  }
  await Promise.all(processes.map(child => (child.exitCode === null ? new Promise(r => child.once('exit', r)) : null)));
  await dropDatabases();
}

/**
 * A signed-in browser on the app. As `olivia`, the app's guest sign-in is answered by the
 * second instance (olivia's guest): a real token from the real auth backend, which the first
 * instance accepts since both share the auth keys in PostgreSQL.
 */
export async function signedInPage(
  as: 'jane' | 'olivia' = 'jane',
  path_ = '/catalog/default/component/payments',
): Promise<{ page: Page; consoleErrors: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
  openContexts.push(context);
  // the dev server's first load of a page can take long on two busy cores
  context.setDefaultNavigationTimeout(90_000);
  if (as === 'olivia') {
    await context.route(`${backendUrl}/api/auth/guest/refresh*`, async route => {
      const res = await fetch(`${secondUrl}/api/auth/guest/refresh`, {
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      });
      await route.fulfill({ status: res.status, contentType: 'application/json', body: await res.text() });
    });
  }
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error' && !LIBRARY_WARNINGS.some(w => w.test(message.text()))) {
      consoleErrors.push(message.text());
    }
  });
  page.on('pageerror', error => consoleErrors.push(error.message));
  await page.goto(`${appUrl}${path_}`);
  await page.getByRole('button', { name: 'Enter' }).click();
  if (path_.startsWith('/catalog/')) {
    await page.getByRole('tab', { name: 'Self-service' }).waitFor();
  }
  return { page, consoleErrors };
}

/**
 * Keeps the step `title` of run `runId` in progress at the receiver until `release()` (or 60 s,
 * so a failing test does not leave the run open): for assertions about a running step, which
 * would otherwise race the receiver's pace on busy cores.
 */
export function holdStep(runId: string, title: string): { release: () => void } {
  let release = () => {};
  const promise = new Promise<void>(resolve => {
    const timer = setTimeout(resolve, 60_000);
    release = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  heldSteps.set(`${runId} ${title}`, { promise, release });
  return { release };
}

/** The lifecycle events the demo receiver took (signatures verified, repeats dropped). */
export function receivedEvents() {
  return receiver?.events ?? [];
}

/** A run of an action on payments created through the API, as jane. */
export async function createRun(actionId: string, inputs: Record<string, unknown>): Promise<{ id: string }> {
  const res = await fetch(`${backendUrl}/api/self-service-actions/actions/${actionId}/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await guestToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ entityRef: 'component:default/payments', inputs }),
  });
  if (res.status !== 201) {
    throw new Error(`creating a run of ${actionId} answered ${res.status}: ${await res.text()}`);
  }
  return res.json();
}

/** Waits until the run is final (the example receiver takes a few seconds). */
export async function waitForFinal(id: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const run = await fetch(`${backendUrl}/api/self-service-actions/runs/${id}`, {
      headers: { authorization: `Bearer ${await guestToken()}` },
    }).then(res => res.json());
    if (['complete', 'failed', 'terminated', 'rejected'].includes(run.status)) return;
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`run ${id} not final within 45 s`);
}
