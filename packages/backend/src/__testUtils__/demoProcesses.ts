/*
 * The demo as real processes, for the end-to-end tests: demo backends started as `npm start`
 * starts them (backstage-cli, the real plugins, catalog and guest sign-in), the example
 * receiver, and the calls a browser or an agent makes.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { createReceiver } from 'example-webhook-receiver';
import { Client } from 'pg';
import WebSocket from 'ws';

export const root = path.resolve(__dirname, '../../../..');
export const cli = require.resolve('@backstage/cli/bin/backstage-cli', { paths: [root] });
export const DEMO_SIGNING_SECRET = 'whsec_eln4ilYOy1NJc7IDmI6rjnsCvV9noUHEAvUla7C7JDA=';
export const postgresUrl = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING;

export interface Backend {
  url: string;
  process: ChildProcess;
  output: string[];
}

export const started: Backend[] = [];

export async function startBackend(
  port: number,
  receiverUrl: string,
  configFiles: string[],
  extraYaml = '',
  env: Record<string, string> = {},
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssa-demo-'));
  const portConfig = path.join(dir, 'port.yaml');
  fs.writeFileSync(
    portConfig,
    `backend:\n  baseUrl: http://localhost:${port}\n  listen:\n    port: ${port}\n${extraYaml}`,
  );
  const args = [cli, 'package', 'start', '--config', '../../app-config.yaml'];
  for (const file of [...configFiles, portConfig]) {
    args.push('--config', file);
  }
  const child = spawn(process.execPath, args, {
    cwd: path.join(root, 'packages/backend'),
    // Guest sign-in only works in development; jest runs with NODE_ENV=test.
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DEMO_RECEIVER_URL: receiverUrl,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group: backstage-cli runs the backend as a child, and both must stop
    detached: true,
  });
  const backend: Backend = { url: `http://localhost:${port}`, process: child, output: [] };
  child.stdout!.on('data', d => backend.output.push(String(d)));
  child.stderr!.on('data', d => backend.output.push(String(d)));
  started.push(backend);
  await waitFor(async () => {
    if (child.exitCode !== null) {
      throw new Error(`backend exited: ${backend.output.join('')}`);
    }
    const res = await fetch(`${backend.url}/api/self-service-actions/actions`).catch(() => undefined);
    return res?.status === 401;
  }, 90_000);
  return backend;
}

export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

export async function guestToken(backend: Backend): Promise<string> {
  const res = await fetch(`${backend.url}/api/auth/guest/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  expect(res.status).toBe(200);
  return (await res.json()).backstageIdentity.token;
}

export async function call(backend: Backend, token: string, route: string, body?: object) {
  const res = await fetch(`${backend.url}/api/self-service-actions${route}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

/**
 * A browser's signals connection to an instance, collecting the run changes it hears on the
 * plugin's channel (RUN_SIGNAL_CHANNEL).
 */
export async function followRunChanges(backend: Backend, token: string) {
  const channel = 'self-service-actions:run';
  const heard: Array<{ runId: string; status: string }> = [];
  // The signals backend starts listening for WebSocket upgrades when the first one reaches
  // its router, and leaves that first one unanswered; Backstage's SignalClient gives up after
  // a connect timeout and connects again, and so does this.
  for (let attempt = 1; ; attempt++) {
    const socket = new WebSocket(`${backend.url.replace(/^http/, 'ws')}/api/signals`, token);
    const opened = await new Promise<boolean>(resolve => {
      const timer = setTimeout(() => resolve(false), 2000);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.once('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (opened) {
      socket.on('message', data => {
        const signal = JSON.parse(String(data));
        if (signal.channel === channel) heard.push(...signal.message.runs);
      });
      socket.send(JSON.stringify({ action: 'subscribe', channel }));
      return { heard, close: () => socket.terminate() };
    }
    socket.terminate();
    if (attempt === 5) throw new Error('the signals WebSocket did not open');
  }
}

/** Waits until the catalog has ingested the demo entities the actions need. */
export async function waitForCatalog(backend: Backend, token: string) {
  await waitFor(async () => {
    const res = await call(backend, token, '/actions?entityRef=component:default/payments');
    return res.status === 200;
  }, 60_000);
}

export async function startReceiver() {
  // the demo's signing secret (app-config.yaml): every webhook's signature is verified
  const receiver = createReceiver({ stepDelayMs: 200, log: () => {}, signingSecret: DEMO_SIGNING_SECRET });
  await new Promise<void>(resolve => receiver.server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
  return { ...receiver, url };
}

/** Drops the databases (one per plugin) the instances created. */
export async function dropDatabases(prefix: string) {
  const client = new Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${prefix}%`],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

/** Stops a backend and the process group backstage-cli started it in. */
export async function stopBackend(backend: Backend, signal: NodeJS.Signals = 'SIGTERM') {
  if (backend.process.exitCode !== null || backend.process.signalCode !== null) return;
  const exited = new Promise(resolve => backend.process.once('exit', resolve));
  try {
    process.kill(-backend.process.pid!, signal);
  } catch {
    // already gone
  }
  await exited;
}

/** Stops every backend, the receiver, and drops the databases of a PostgreSQL test. */
export async function tearDownPostgresInstances(receiverServer: import('node:http').Server, prefix: string) {
  receiverServer.close();
  delete process.env.SSA_DEMO_POSTGRES_URL;
  delete process.env.SSA_DEMO_DATABASE_PREFIX;
  for (const backend of started.splice(0)) {
    await stopBackend(backend);
  }
  await dropDatabases(prefix);
}

