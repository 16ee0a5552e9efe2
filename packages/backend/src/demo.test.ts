/*
 * End to end: the demo backend as `npm start` runs it (a real process with the real
 * plugin, catalog and guest sign-in) and the example receiver driving a run to the end.
 */
import path from 'node:path';
import { Client } from 'pg';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  root,
  postgresUrl,
  started,
  startBackend,
  waitFor,
  guestToken,
  call,
  followRunChanges,
  waitForCatalog,
  startReceiver,
  stopBackend,
  tearDownPostgresInstances,
} from './__testUtils__/demoProcesses';

jest.setTimeout(180_000);

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
      // the button: done when the receiver answers, no token, nothing reported
      const pressed = await call(backend, token, '/actions/flush-cache/runs', {
        entityRef: 'component:default/payments',
      });
      expect(pressed.body).toMatchObject({ status: 'complete', message: 'Webhook answered 200' });

      // An AI agent, through the MCP actions backend, acting for jane with her token.
      const mcp = new McpClient({ name: 'demo-test-agent', version: '1.0.0' });
      await mcp.connect(
        new StreamableHTTPClientTransport(new URL(`${backend.url}/api/mcp-actions/v1`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      try {
        const { tools } = await mcp.listTools();
        expect(tools.map(tool => tool.name).sort()).toEqual([
          'self-service-actions.get-run',
          'self-service-actions.list-actions',
          'self-service-actions.run-action',
        ]);
        const callTool = async (name: string, args: object) => {
          const result = (await mcp.callTool({ name: `self-service-actions.${name}`, arguments: args as any })) as any;
          const text = result.content.map((c: { text: string }) => c.text).join('');
          return { isError: Boolean(result.isError), text, json: result.isError ? undefined : JSON.parse(text) };
        };
        const listed = await callTool('list-actions', { entityRef: 'component:default/payments' });
        const restart = listed.json.actions.find((a: { id: string }) => a.id === 'restart-service');
        expect(restart).toMatchObject({ canRun: true, agentsAllowed: true });
        const ran = await callTool('run-action', {
          actionId: 'restart-service',
          entityRef: 'component:default/payments',
          inputs: { reason: 'asked by an agent' },
        });
        expect(ran.json.run).toMatchObject({
          status: 'inprogress',
          url: `http://localhost:3000/self-service-actions/runs/${ran.json.run.id}`,
        });
        const finished = await waitFor(async () => {
          const got = await callTool('get-run', { runId: ran.json.run.id });
          return got.json.run.status === 'complete' && got.json.run;
        }, 30_000);
        expect(finished).toMatchObject({ initiatedBy: 'user:default/jane', initiatedVia: 'actions-registry' });
        // Delete actions are not for agents; failover-region is not for jane (as over REST)
        const deleted = await callTool('run-action', {
          actionId: 'decommission-service',
          entityRef: 'component:default/payments',
          inputs: { confirm: 'payments' },
        });
        expect(deleted).toMatchObject({ isError: true, text: expect.stringContaining('does not allow runs by agents') });
        const notHers = await callTool('run-action', {
          actionId: 'failover-region',
          entityRef: 'component:default/payments',
          inputs: { region: 'eu-west-1' },
        });
        expect(notHers).toMatchObject({ isError: true, text: expect.stringContaining(refused.body.error.message) });
      } finally {
        await mcp.close();
      }
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
