/*
 * End to end: the demo backend as `npm start` runs it (a real process with the real
 * plugin, catalog and guest sign-in) and the example receiver driving a run to the end.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { createReceiver } from 'example-webhook-receiver';
import { Client } from 'pg';
import WebSocket from 'ws';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '../../..');
const cli = require.resolve('@backstage/cli/bin/backstage-cli', { paths: [root] });
const DEMO_SIGNING_SECRET = 'whsec_eln4ilYOy1NJc7IDmI6rjnsCvV9noUHEAvUla7C7JDA=';
const postgresUrl = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING;

interface Backend {
  url: string;
  process: ChildProcess;
  output: string[];
}

const started: Backend[] = [];

async function startBackend(
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

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

async function guestToken(backend: Backend): Promise<string> {
  const res = await fetch(`${backend.url}/api/auth/guest/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  expect(res.status).toBe(200);
  return (await res.json()).backstageIdentity.token;
}

async function call(backend: Backend, token: string, route: string, body?: object) {
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
async function followRunChanges(backend: Backend, token: string) {
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
async function waitForCatalog(backend: Backend, token: string) {
  await waitFor(async () => {
    const res = await call(backend, token, '/actions?entityRef=component:default/payments');
    return res.status === 200;
  }, 60_000);
}

async function startReceiver() {
  // the demo's signing secret (app-config.yaml): every webhook's signature is verified
  const receiver = createReceiver({ stepDelayMs: 200, log: () => {}, signingSecret: DEMO_SIGNING_SECRET });
  await new Promise<void>(resolve => receiver.server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
  return { ...receiver, url };
}

/** Drops the databases (one per plugin) the instances created. */
async function dropDatabases(prefix: string) {
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
async function stopBackend(backend: Backend, signal: NodeJS.Signals = 'SIGTERM') {
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
async function tearDownPostgresInstances(receiverServer: import('node:http').Server, prefix: string) {
  receiverServer.close();
  delete process.env.SSA_DEMO_POSTGRES_URL;
  delete process.env.SSA_DEMO_DATABASE_PREFIX;
  for (const backend of started.splice(0)) {
    await stopBackend(backend);
  }
  await dropDatabases(prefix);
}

afterEach(async () => {
  for (const backend of started.splice(0)) {
    await stopBackend(backend);
  }
});

describe('the demo', () => {
  it('runs the demo action on SQLite until the example receiver completes it', async () => {
    const receiver = await startReceiver();
    try {
      const backend = await startBackend(7107, receiver.url, []);
      const token = await guestToken(backend);
      await waitForCatalog(backend, token);
      const created = await call(backend, token, '/actions/restart-service/runs', {
        entityRef: 'component:default/payments',
        inputs: { reason: 'demo test' },
      });
      expect(created.status).toBe(201);
      expect(created.body.initiatedBy).toBe('user:default/jane');
      const done = await waitFor(async () => {
        const run = await call(backend, token, `/runs/${created.body.id}`);
        return run.body.status === 'complete' && run.body;
      }, 30_000);
      expect(done.steps.map((s: { title: string }) => s.title)).toEqual([
        'Queued',
        'Set up job',
        'Check out configuration',
        'Run action',
        'Verify',
      ]);
      expect(receiver.reports.every(r => r.status === 200)).toBe(true);

      const failing = await call(backend, token, '/actions/scale-database/runs', {
        entityRef: 'resource:default/orders-db',
      });
      expect(failing.body).toMatchObject({ status: 'failed', error: expect.stringContaining('500') });
      const refused = await call(backend, token, '/actions/failover-region/runs', {
        entityRef: 'component:default/payments',
        inputs: { region: 'eu-west-1' },
      });
      expect(refused.status).toBe(403);
    } finally {
      receiver.server.close();
    }
  });

  it('runs two instances on one POSTGRES database: a run made and reported on one is read, and signalled, on the other', async () => {
    expect(postgresUrl).toBeDefined();
    const receiver = await startReceiver();
    const prefix = `ssa_demo_test_${process.pid}_`;
    const postgres = [path.join(root, 'packages/backend/app-config.postgres.yaml')];
    process.env.SSA_DEMO_POSTGRES_URL = postgresUrl;
    process.env.SSA_DEMO_DATABASE_PREFIX = prefix;
    try {
      const first = await startBackend(7127, receiver.url, postgres);
      // one after the other: two instances migrating at once can trip over the migration lock
      const second = await startBackend(7137, receiver.url, [
        ...postgres,
        path.join(root, 'packages/backend/app-config.instance2.yaml'),
      ]);
      const jane = await guestToken(first);
      const olivia = await guestToken(second);
      await waitForCatalog(first, jane);
      // jane's browser is connected to the second instance; the receiver reports to the first
      const janesBrowser = await followRunChanges(second, jane);
      const created = await call(first, jane, '/actions/restart-service/runs', {
        entityRef: 'component:default/payments',
        inputs: { reason: 'two instances' },
      });
      expect(created.status).toBe(201);
      // olivia is an admin on the second instance: she sees jane's run there, complete
      const done = await waitFor(async () => {
        const run = await call(second, olivia, `/runs/${created.body.id}`);
        return run.body.status === 'complete' && run.body;
      }, 30_000);
      expect(done.initiatedBy).toBe('user:default/jane');
      expect(done.steps).toHaveLength(5);
      // the changes applied on the first reached jane's browser through the events backend
      // (within a minute: an instance that started under load may still be backing off the
      // event bus, which doubles its wait after each failed poll, up to 60 s)
      await waitFor(
        async () => janesBrowser.heard.some(r => r.runId === created.body.id && r.status === 'complete'),
        60_000,
      ).catch(error => {
        throw new Error(`${error.message}; heard ${JSON.stringify(janesBrowser.heard)}; ${second.output.join('')}`);
      });
      janesBrowser.close();

      // The demo's approval: jane asks on the first instance, nothing is sent; olivia (the
      // platform team) approves on the second; the receiver then completes the run.
      const held = await call(first, jane, '/actions/deploy-production/runs', {
        entityRef: 'component:default/payments',
        inputs: { version: '1.4.3' },
      });
      expect(held.status).toBe(201);
      expect(held.body).toMatchObject({ status: 'pending-approval', approval: { canDecide: false } });
      const awaiting = await call(second, olivia, '/runs?awaitingMyDecision=true');
      expect(awaiting.body.items.map((run: { id: string }) => run.id)).toContain(held.body.id);
      expect((await call(first, jane, `/runs/${held.body.id}/approve`, {})).status).toBe(403);
      const approved = await call(second, olivia, `/runs/${held.body.id}/approve`, {
        comment: 'go ahead',
      });
      expect(approved.status).toBe(200);
      const deployed = await waitFor(async () => {
        const run = await call(first, jane, `/runs/${held.body.id}`);
        return run.body.status === 'complete' && run.body;
      }, 30_000);
      expect(deployed.approval.decisions).toEqual([
        expect.objectContaining({ by: 'user:default/olivia', decision: 'approved', comment: 'go ahead' }),
      ]);
    } finally {
      await tearDownPostgresInstances(receiver.server, prefix);
    }
  });
});

describe('instances sharing one POSTGRES database', () => {
  it('delivers the run of a killed instance through another, and sweeps once across instances', async () => {
    expect(postgresUrl).toBeDefined();
    const receiver = await startReceiver();
    const prefix = `ssa_crash_test_${process.pid}_`;
    const postgres = [path.join(root, 'packages/backend/app-config.postgres.yaml')];
    const fast = [
      'selfServiceActions:',
      '  webhook:',
      '    timeout: { seconds: 2 }',
      '  sweepFrequency: { seconds: 2 }',
      '  dispatch:',
      '    leaseMargin: { seconds: 2 }',
      '    frequency: { seconds: 1 }',
      '',
    ].join('\n');
    process.env.SSA_DEMO_POSTGRES_URL = postgresUrl;
    process.env.SSA_DEMO_DATABASE_PREFIX = prefix;
    try {
      // A dies (kill -9) between storing a run and sending its webhook
      const doomed = await startBackend(7177, receiver.url, postgres, fast, {
        SSA_TEST_FAILPOINT: 'kill-before-dispatch',
      });
      const jane = await guestToken(doomed);
      await waitForCatalog(doomed, jane);
      await expect(
        call(doomed, jane, '/actions/restart-service/runs', {
          entityRef: 'component:default/payments',
          inputs: { reason: 'crash' },
        }),
      ).rejects.toThrow();
      // the backend process killed itself; its backstage-cli wrapper goes the same way
      await stopBackend(doomed, 'SIGKILL');
      expect(receiver.deliveries).toEqual([]);

      const survivors = [
        await startBackend(7187, receiver.url, postgres, fast, { LOG_LEVEL: 'info' }),
        await startBackend(7197, receiver.url, [...postgres, path.join(root, 'packages/backend/app-config.instance2.yaml')], fast, {
          LOG_LEVEL: 'info',
        }),
      ];
      const olivia = await guestToken(survivors[1]);
      const janeAgain = await guestToken(survivors[0]);
      const runs = await call(survivors[1], olivia, '/runs?actionId=restart-service');
      expect(runs.body.items).toHaveLength(1);
      const lost = runs.body.items[0];
      const done = await waitFor(async () => {
        const run = await call(survivors[0], janeAgain, `/runs/${lost.id}`);
        return run.body.status === 'complete' && run.body;
      }, 60_000);
      expect(done.steps).toHaveLength(5);
      // at least once, and here exactly once: the first attempt never started
      expect(receiver.deliveries.filter(id => id === lost.id)).toHaveLength(1);

      // a stale run: the sweep of one instance terminates it; the other never sweeps it again
      const client = new Client({ connectionString: postgresUrl!.replace(/\/[^/]*$/, `/${prefix}self-service-actions`) });
      await client.connect();
      try {
        await client.query(
          "UPDATE runs SET status = 'inprogress', completed_at = NULL, expires_at = now() - interval '1 second' WHERE id = $1",
          [lost.id],
        );
      } finally {
        await client.end();
      }
      const swept = await waitFor(async () => {
        const run = await call(survivors[0], janeAgain, `/runs/${lost.id}`);
        return run.body.status === 'terminated' && run.body;
      }, 30_000);
      expect(swept.message).toMatch(/report token expired/);
      await new Promise(resolve => setTimeout(resolve, 2 * 2000 + 500)); // two more sweep periods
      const expiryRecords = survivors
        .flatMap(s => s.output.join('').split('\n'))
        .filter(
          line =>
            line.includes('self-service-actions.run-expire') &&
            line.includes('succeeded') &&
            line.includes(lost.id),
        );
      expect(expiryRecords).toHaveLength(1);
    } finally {
      await tearDownPostgresInstances(receiver.server, prefix);
    }
  });
});
