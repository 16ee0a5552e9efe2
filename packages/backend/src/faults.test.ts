/*
 * Faults, with real processes: the demo backend on a PostgreSQL server of the test's own, which
 * the test stops in the middle of a report load; and a receiver that is down. What must hold:
 * a clear 503 during the outage (never a 500, never a crash), recovery by itself, every report
 * answered 200 stored; a run whose receiver is down fails once, with no retry storm.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { guestToken, started, startBackend, stopBackend, waitFor } from './__testUtils__/demoProcesses';
import { PrivatePostgres, startPrivatePostgres } from './__testUtils__/privatePostgres';

jest.setTimeout(300_000);

const PREFIX = 'ssa_faults_';

/**
 * A receiver that takes every webhook (202) and keeps each run's id and report token. Lifecycle
 * events (/events) are kept apart: answered 204 and their webhook-ids counted, or, while
 * `holdEvents`, never answered (an attempt under way when its instance dies).
 */
async function tokenReceiver() {
  const runs: Array<{ runId: string; token: string }> = [];
  const events = { delivered: new Set<string>(), attempts: 0, holdEvents: false };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/events') {
        events.attempts++;
        if (!events.holdEvents) {
          events.delivered.add(String(req.headers['webhook-id']));
          res.writeHead(204).end();
        }
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      runs.push({ runId: String(req.headers['webhook-id']), token: body.reportToken });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return { runs, events, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Only the action under test (config arrays replace, they do not merge). */
const actionYaml = (url: string) => `selfServiceActions:
  dispatch: { frequency: { seconds: 1 } }
  # each report of the load adds a step of its own (to find it afterwards): room for all of them
  report: { maxSteps: 10000 }
  actions:
    - id: fault-test
      name: Fault test
      type: Day2
      icon: play
      status: Active
      owner: group:default/platform
      allowedPeople: ['*']
      method: { type: Webhook, url: '${url}/hook', timeout: { seconds: 2 } }
`;

let pg: PrivatePostgres | undefined;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  process.env.SSA_DEMO_POSTGRES_URL = pg.url;
  process.env.SSA_DEMO_DATABASE_PREFIX = PREFIX;
});

afterAll(async () => {
  for (const backend of started.splice(0)) await stopBackend(backend);
  delete process.env.SSA_DEMO_POSTGRES_URL;
  delete process.env.SSA_DEMO_DATABASE_PREFIX;
  pg?.destroy();
});

const postgresConfig = () => [require.resolve('../app-config.postgres.yaml')];

async function createRuns(url: string, token: string, count: number) {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${url}/api/self-service-actions/actions/fault-test/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: {} }),
    });
    expect(res.status).toBe(201);
  }
}

describe('faults', () => {
  it('answers 503 while PostgreSQL restarts under a report load, recovers by itself, and keeps every report it accepted', async () => {
    const receiver = await tokenReceiver();
    const backend = await startBackend(7117, receiver.url, postgresConfig(), actionYaml(receiver.url));
    try {
      await createRuns(backend.url, await guestToken(backend), 20);
      expect(receiver.runs).toHaveLength(20);

      type Answer = { status: number; retryAfter: string | null; error?: string; message?: string; runId: string; title: string; at: number };
      const answers: Answer[] = [];
      const startedAt = Date.now();
      const LOAD_MS = 12_000;
      const worker = async (w: number) => {
        for (let n = 0; Date.now() - startedAt < LOAD_MS; n++) {
          const { runId, token } = receiver.runs[(w + n) % receiver.runs.length];
          const title = `w${w}-${n}`;
          const now = new Date().toISOString();
          const res = await fetch(`${backend.url}/api/self-service-actions/report`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-report-token': token },
            body: JSON.stringify({ status: 'inprogress', startedAt: now, steps: [{ title, status: 'complete', startedAt: now, logs: [title] }] }),
          });
          const body = await res.json().catch(() => undefined);
          answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), error: body?.error?.name, message: body?.error?.message, runId, title, at: Date.now() - startedAt });
          if (res.status !== 200) await new Promise(r => setTimeout(r, 100));
        }
      };
      const outage = (async () => {
        await new Promise(r => setTimeout(r, 3_000));
        pg!.stop();
        await new Promise(r => setTimeout(r, 3_000));
        pg!.start();
      })();
      await Promise.all([...Array.from({ length: 12 }, (_, w) => worker(w)), outage]);

      // during the outage a clear 503 (with Retry-After and Backstage's error body), never a 500
      const byStatus = answers.reduce<Record<number, number>>((all, a) => ({ ...all, [a.status]: (all[a.status] ?? 0) + 1 }), {});
      const unexpected = answers.filter(a => a.status !== 200 && a.status !== 503).map(a => `${a.status} ${a.error}: ${a.message}`);
      expect(unexpected).toEqual([]);
      expect(Object.keys(byStatus).sort()).toEqual(['200', '503']);
      const refused = answers.filter(a => a.status === 503);
      expect(refused.every(a => a.retryAfter !== null && a.error === 'ServiceUnavailableError')).toBe(true);
      // recovered by itself: the last seconds are all accepted, and the process never exited
      const last = answers.filter(a => a.at > LOAD_MS - 2_000);
      expect(last.length).toBeGreaterThan(0);
      expect(last.every(a => a.status === 200)).toBe(true);
      expect(backend.process.exitCode).toBeNull();

      // every report answered 200 is stored
      const client = new Client({ connectionString: pg!.url.replace(/\/[^/]*$/, `/${PREFIX}self-service-actions`) });
      await client.connect();
      try {
        const { rows } = await client.query<{ run_id: string; title: string }>('select run_id, title from run_steps');
        const stored = new Set(rows.map(row => `${row.run_id} ${row.title}`));
        const lost = answers.filter(a => a.status === 200 && !stored.has(`${a.runId} ${a.title}`));
        expect({ accepted: byStatus[200], refused: refused.length, lost: lost.length }).toEqual({
          accepted: byStatus[200],
          refused: refused.length,
          lost: 0,
        });
      } finally {
        await client.end();
      }
      // eslint-disable-next-line no-console
      console.log(`PostgreSQL restart under load: ${byStatus[200]} reports accepted and stored, ${refused.length} answered 503 during the outage`);
    } finally {
      receiver.server.close();
      await stopBackend(backend);
    }
  });

  it('fails a run whose receiver is down once, with a clear reason, and never sends it again', async () => {
    // a port nothing listens on, where a receiver appears afterwards
    const probe = http.createServer();
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>(resolve => probe.close(() => resolve()));
    const url = `http://127.0.0.1:${port}`;
    const backend = await startBackend(7118, url, postgresConfig(), actionYaml(url));
    try {
      const token = await guestToken(backend);
      const created = await Promise.all(
        Array.from({ length: 5 }, () =>
          fetch(`${backend.url}/api/self-service-actions/actions/fault-test/runs`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ inputs: {} }),
          }).then(res => res.json()),
        ),
      );
      expect(created.map(run => [run.status, run.error])).toEqual(
        Array.from({ length: 5 }, () => ['failed', 'The webhook could not be reached']),
      );

      // the receiver comes up; several dispatch rounds (every second) later it has got nothing
      let delivered = 0;
      // (the demo config also sends lifecycle events to this host, at /events: they are not the
      // run's webhook, and a retry of them may arrive in the window)
      const comeBack = http.createServer((req, res) => {
        if (req.url?.startsWith('/hook')) delivered++;
        res.writeHead(202).end();
      });
      await new Promise<void>(resolve => comeBack.listen(port, '127.0.0.1', resolve));
      await new Promise(r => setTimeout(r, 5_000));
      comeBack.close();
      expect(delivered).toBe(0);
      const client = new Client({ connectionString: pg!.url.replace(/\/[^/]*$/, `/${PREFIX}self-service-actions`) });
      await client.connect();
      try {
        const { rows } = await client.query(
          'select status, dispatch_status, dispatch_attempts from runs where id = any($1)',
          [created.map(run => run.id)],
        );
        expect(rows).toEqual(Array.from({ length: 5 }, () => ({ status: 'failed', dispatch_status: 'failed', dispatch_attempts: 1 })));
      } finally {
        await client.end();
      }
    } finally {
      await stopBackend(backend);
    }
  });

  it('ends every stale run exactly once when the sweeping instance is killed (kill -9) in the middle of a sweep', async () => {
    const STALE = 150_000;
    const sweepYaml = (url: string) =>
      `${actionYaml(url)}  sweepFrequency: { seconds: 1 }\n  sweepTimeout: { seconds: 10 }\n`;
    const receiver = await tokenReceiver();
    const doomed = await startBackend(7119, receiver.url, postgresConfig(), sweepYaml(receiver.url));
    const client = new Client({ connectionString: pg!.url.replace(/\/[^/]*$/, `/${PREFIX}self-service-actions`) });
    await client.connect();
    try {
      await client.query(`insert into runs (id, action_id, action_name, action_type, action_snapshot, entity_ref, initiated_by,
          status, inputs, links, created_at, updated_at, started_at, expires_at, dispatch_status)
        select 'stale-' || g, 'fault-test', 'Fault test', 'Day2', '{}', null, 'user:default/jane',
          'inprogress', '{}', '[]', now(), now(), now(), now() - interval '1 minute', 'delivered'
        from generate_series(1, ${STALE}) g`);
      const ended = async () =>
        Number((await client.query("select count(*) as n from runs where id like 'stale-%' and status = 'terminated'")).rows[0].n);
      // killed once the sweep has ended some of them and not all
      let atKill = 0;
      const deadline = Date.now() + 60_000;
      while (atKill === 0 && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 20));
        atKill = await ended();
      }
      await stopBackend(doomed, 'SIGKILL');
      const afterKill = await ended();
      expect(atKill).toBeGreaterThan(0);
      expect(afterKill).toBeLessThan(STALE);

      // another instance takes the sweep over once the dead one's turn has timed out
      const survivor = await startBackend(7120, receiver.url, postgresConfig(), sweepYaml(receiver.url));
      const until = Date.now() + 120_000;
      while ((await ended()) < STALE && Date.now() < until) await new Promise(r => setTimeout(r, 500));
      const { rows } = await client.query(`select status, revision, completed_at is not null as completed, count(*)::int as n
        from runs where id like 'stale-%' group by 1, 2, 3`);
      // each run ended once: one write (revision 0 -> 1), terminated, with its completion time
      expect(rows).toEqual([{ status: 'terminated', revision: 1, completed: true, n: STALE }]);
      // eslint-disable-next-line no-console
      console.log(`kill -9 mid-sweep: ${afterKill} of ${STALE} stale runs ended when the sweeper died, the rest by the survivor, each once`);
      await stopBackend(survivor);
    } finally {
      await client.end();
      receiver.server.close();
    }
  });

  it('delivers the events an instance killed (kill -9) between commit and delivery wrote, from the survivor', async () => {
    const receiver = await tokenReceiver();
    // Config arrays replace: this subscriber instead of the demo's.
    const eventsYaml = `${actionYaml(receiver.url)}  events:
    eventsService: false
    timeout: { seconds: 3 }
    retryDelay: { seconds: 1 }
    pollInterval: { milliseconds: 200 }
    subscribers:
      - { id: fault-sink, url: '${receiver.url}/events', signingSecret: 'fault-test-events-secret-0123456789' }
`;
    receiver.events.holdEvents = true;
    const doomed = await startBackend(7121, receiver.url, postgresConfig(), eventsYaml);
    const client = new Client({ connectionString: pg!.url.replace(/\/[^/]*$/, `/${PREFIX}self-service-actions`) });
    await client.connect();
    try {
      // Earlier tests share the database (the sweep test's 150 000 runs have their events too):
      // only this test's events count.
      const since = new Date();
      await createRuns(doomed.url, await guestToken(doomed), 10);
      const count = async (sql: string) => Number((await client.query(sql, [since])).rows[0].n);
      // Committed (created and dispatched: 20 events) and being sent, none answered.
      await waitFor(async () => (await count("select count(*) as n from run_events where type = 'run.dispatched' and created_at >= $1")) >= 10, 30_000);
      await waitFor(async () => receiver.events.attempts > 0, 30_000);
      await stopBackend(doomed, 'SIGKILL');
      const written = await count('select count(*) as n from run_events where created_at >= $1');
      expect(written).toBe(20);
      const delivered = "select count(*) as n from event_deliveries where subscriber_id = 'fault-sink' and status = 'delivered' and created_at >= $1";
      expect(await count(delivered)).toBe(0);
      expect(receiver.events.delivered.size).toBe(0);

      receiver.events.holdEvents = false;
      const survivor = await startBackend(7122, receiver.url, postgresConfig(), eventsYaml);
      try {
        // The dead instance's attempts are taken over when their lease ends (timeout + margin).
        await waitFor(async () => receiver.events.delivered.size >= written || undefined, 90_000);
        const ids = (await client.query('select id from run_events where created_at >= $1', [since])).rows.map(row => row.id).sort();
        expect([...receiver.events.delivered].sort()).toEqual(ids);
        await waitFor(async () => (await count(delivered)) === written, 10_000);
        // eslint-disable-next-line no-console
        console.log(`kill -9 before delivery: ${written} events written, ${receiver.events.attempts} attempts in all, every event delivered by the survivor`);
      } finally {
        await stopBackend(survivor);
      }
    } finally {
      await client.end();
      receiver.server.close();
    }
  });
});
