/**
 * @jest-environment node
 */
/*
 * End to end in a real browser: the demo (backend, app dev server, example receiver) and
 * Debian's Chromium driven by playwright-core. It fails, never skips, without Chromium.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { chromium, Browser, Page } from 'playwright-core';
import { createReceiver } from 'example-webhook-receiver';

jest.setTimeout(300_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = path.resolve(__dirname, '../../../..');
const cli = require.resolve('@backstage/cli/bin/backstage-cli', { paths: [root] });
const appPort = 3100;
const backendPort = 7147;
// A second instance on the same PostgreSQL database, signed in as olivia (platform team): the
// second identity that approves in the browser.
const secondPort = 7157;
const appUrl = `http://localhost:${appPort}`;
const backendUrl = `http://localhost:${backendPort}`;
const secondUrl = `http://localhost:${secondPort}`;
const postgresUrl =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432/postgres';
const databasePrefix = `ssa_e2e_${process.pid}_`;
// The README's pictures are refreshed with UPDATE_SCREENSHOTS=1; otherwise they go to a temp dir.
const screenshots = process.env.UPDATE_SCREENSHOTS
  ? path.join(root, 'docs/images')
  : fs.mkdtempSync(path.join(os.tmpdir(), 'ssa-screenshots-'));

// Warnings React and MUI v4 / RJSF print in development about their own internals.
const LIBRARY_WARNINGS = [/findDOMNode is deprecated/, /Support for defaultProps will be removed/, /The prop `rows` of `ForwardRef\(TextField\)` is deprecated/];

const processes: ChildProcess[] = [];
let browser: Browser | undefined;
let receiver: ReturnType<typeof createReceiver> | undefined;

function start(cwd: string, args: string[], env: Record<string, string>) {
  const output: string[] = [];
  const child = spawn(process.execPath, [cli, 'package', 'start', ...args], {
    cwd: path.join(root, cwd),
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', d => output.push(String(d)));
  child.stderr!.on('data', d => output.push(String(d)));
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

async function guestToken(url = backendUrl): Promise<string> {
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

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  }
  receiver = createReceiver({
    stepDelayMs: 1000,
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
});

afterAll(async () => {
  await browser?.close();
  receiver?.server.close();
  for (const child of processes) {
    child.kill('SIGTERM');
  }
  await Promise.all(processes.map(child => (child.exitCode === null ? new Promise(r => child.once('exit', r)) : null)));
  await dropDatabases();
});

/**
 * A signed-in browser on the app. As `olivia`, the app's guest sign-in is answered by the
 * second instance (olivia's guest): a real token from the real auth backend, which the first
 * instance accepts since both share the auth keys in PostgreSQL.
 */
async function signedInPage(
  as: 'jane' | 'olivia' = 'jane',
  path_ = '/catalog/default/component/payments',
): Promise<{ page: Page; consoleErrors: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
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

describe('self-service actions in the browser', () => {
  it('runs the demo action from a Service page and watches it complete live', async () => {
    const { page, consoleErrors } = await signedInPage();
    const clickedTab = Date.now();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Restart service' }).click();
    const reason = page.getByLabel('Reason');
    await reason.waitFor();
    const interactiveMs = Date.now() - clickedTab;
    // eslint-disable-next-line no-console
    console.log(`tab click to interactive form: ${interactiveMs} ms`);
    await page.screenshot({ path: path.join(screenshots, 'run-dialog.png') });

    // client validation: the required reason is missing
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText('must have required property').first().waitFor();

    await reason.fill('Pods stuck after deploy');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const view = page.getByTestId('run-view');
    await view.waitFor();
    // an in-progress step arrives first, then the run completes, without reloading the page
    await view.locator('[data-testid="run-step"] [data-status="inprogress"]').first().waitFor({ timeout: 20_000 });
    await view.locator(':scope > div [data-testid="run-status"][data-status="complete"]').first().waitFor({ timeout: 30_000 });
    await view.getByText('Verify').waitFor();
    await view.getByText('Run action').click();
    await view.getByText('Rollout finished').waitFor();
    await page.screenshot({ path: path.join(screenshots, 'run-complete.png') });
    expect(await view.getByTestId('run-step').count()).toBe(5);
    expect(consoleErrors).toEqual([]);
  });

  it('shows a failing webhook as failed with the reason', async () => {
    const { page, consoleErrors } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Scale database' }).click();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const view = page.getByTestId('run-view');
    await view.locator('[data-testid="run-status"][data-status="failed"]').first().waitFor();
    await view.getByTestId('run-error').getByText('Webhook answered 500: Internal error: the automation is down').waitFor();
    await page.screenshot({ path: path.join(screenshots, 'run-failed.png') });
    expect(consoleErrors).toEqual([]);
  });

  it('disables Run with the reason for an action the user may not run, and the API refuses it', async () => {
    const { page } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    const run = page.getByRole('button', { name: 'Run Fail over region' });
    await run.waitFor();
    expect(await run.isDisabled()).toBe(true);
    await page.getByTestId('run-disabled-failover-region').hover();
    await page.getByRole('tooltip').getByText('Only the action owners and allowed people may run this action').waitFor();

    const res = await fetch(`${backendUrl}/api/self-service-actions/actions/failover-region/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await guestToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ entityRef: 'component:default/payments', inputs: { region: 'eu-west-1' } }),
    });
    expect(res.status).toBe(403);
  });

  it('holds a run for approval until a second identity approves it on its page, then it completes', async () => {
    const { page, consoleErrors } = await signedInPage('jane');
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Deploy to production' }).click();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const view = page.getByTestId('run-view');
    await view.locator('[data-testid="run-status"][data-status="pending-approval"]').first().waitFor();
    await view.getByTestId('approval-waiting').getByText('Waiting for 1 more approval from group:default/platform').waitFor();
    expect(await view.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Open page' }).click();
    await page.waitForURL(/\/self-service-actions\/runs\//);
    const runPath = new URL(page.url()).pathname;

    // olivia finds it awaiting her on the Self-service page and approves it on its own page
    const olivia = await signedInPage('olivia', '/self-service-actions');
    await olivia.page.getByText('Awaiting my approval').waitFor({ timeout: 30_000 });
    await olivia.page.getByTestId('awaiting-run').getByRole('link', { name: 'Deploy to production' }).click();
    await olivia.page.waitForURL(`**${runPath}`);
    await olivia.page.getByLabel('Comment').fill('Ship it');
    await olivia.page.screenshot({ path: path.join(screenshots, 'run-approval.png') });
    await olivia.page.getByRole('button', { name: 'Approve' }).click();
    await olivia.page.getByTestId('run-approval').getByText('Ship it').waitFor();

    // jane's page follows the run to the end, with olivia's decision on it
    // the run's own status (in its summary), not one of its steps
    await page
      .getByTestId('run-summary')
      .locator('[data-testid="run-status"][data-status="complete"]')
      .waitFor({ timeout: 45_000 });
    await page.getByTestId('run-approval').getByText('Ship it').waitFor();

    // both were notified, each notification linking to the run's page
    await olivia.page.goto(`${appUrl}/notifications`);
    await olivia.page.getByText('Approval requested: Deploy to production').first().waitFor({ timeout: 30_000 });
    await page.goto(`${appUrl}/notifications`);
    await page.getByText('Deploy to production: complete').first().waitFor({ timeout: 30_000 });
    await page.getByText('Approved: Deploy to production').first().click();
    await page.waitForURL(`**${runPath}`);
    await page.getByTestId('run-summary').waitFor();
    expect(consoleErrors).toEqual([]);
    expect(olivia.consoleErrors).toEqual([]);
  });

  it('opens a run page by URL and follows its steps and the running step log live', async () => {
    const res = await fetch(`${backendUrl}/api/self-service-actions/actions/restart-service/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await guestToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ entityRef: 'component:default/payments', inputs: { reason: 'Opened by URL', replicas: 3 } }),
    });
    expect(res.status).toBe(201);
    const { id } = await res.json();
    const { page, consoleErrors } = await signedInPage('jane', `/self-service-actions/runs/${id}`);
    await page.getByRole('heading', { name: 'Restart service on payments' }).waitFor();
    const summary = page.getByTestId('run-summary');
    await summary.getByText(id).waitFor();
    // the log follows the step running now, then the run completes without a reload
    await page.getByRole('heading', { name: 'Log of Check out configuration' }).waitFor({ timeout: 20_000 });
    await summary.locator('[data-testid="run-status"][data-status="complete"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('run-steps').getByTestId('run-step').count()).toBe(5);
    await page.getByTestId('run-steps').getByText('Run action').click();
    await page.getByRole('heading', { name: 'Log of Run action' }).waitFor();
    await page.getByTestId('step-log').getByText('Rollout finished').waitFor();
    await page.getByRole('table', { name: 'Inputs' }).getByText('Replicas').waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: path.join(screenshots, 'run-page.png') });
    // eslint-disable-next-line no-console
    console.log(`run page screenshot: ${path.join(screenshots, 'run-page.png')}`);
    expect(consoleErrors).toEqual([]);
  });

  it('cancels a run only after confirmation; its running step ends not finished', async () => {
    const { page, consoleErrors } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Restart service' }).click();
    await page.getByLabel('Reason').fill('Cancel me');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const view = page.getByTestId('run-view');
    await view.getByRole('button', { name: 'Cancel run' }).click();
    const confirm = page.getByRole('dialog', { name: 'Cancel this run of Restart service?' });
    await confirm.getByText('The external system is told nothing').waitFor();
    await confirm.getByRole('button', { name: 'Cancel run' }).click();
    await view.locator('[data-testid="run-status"][data-status="terminated"]').first().waitFor();
    await view.getByTestId('run-message').getByText('Cancelled by').waitFor();
    // (waited for: while the confirmation closes, MUI keeps the view aria-hidden)
    await view.getByRole('button', { name: 'Re-run' }).waitFor();
    // no step of the cancelled run is left in progress
    expect(await view.locator('[data-testid="run-step"] [data-status="inprogress"]').count()).toBe(0);
    expect(consoleErrors).toEqual([]);
  });

  it('asks to type the entity name before running a Delete action', async () => {
    const { page } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Decommission service' }).click();
    const run = page.getByRole('button', { name: 'Decommission payments', exact: true });
    expect(await run.isDisabled()).toBe(true);
    await page.getByLabel('Type payments to confirm').fill('paymen');
    expect(await run.isDisabled()).toBe(true);
    await page.getByLabel('Type payments to confirm').fill('payments');
    expect(await run.isDisabled()).toBe(false);
  });
});
