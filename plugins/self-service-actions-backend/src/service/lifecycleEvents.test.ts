import { createBackendModule } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import { EventParams, eventsServiceRef } from '@backstage/plugin-events-node';
import { Knex } from 'knex';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { actionsConfig, authHeader, Person } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { closedPort, TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });

/** A Standard Webhooks secret (whsec_ and base64), and one given as plain text. */
const SECRET = `whsec_${Buffer.from('lifecycle-events-test-secret-32b').toString('base64')}`;
const RAW_SECRET = 'a plain-text secret, used as its own bytes';
const started = '2026-05-10T15:35:42.714+00:00';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.each(databases.eachSupportedId())('lifecycle events on %p', databaseId => {
  let knex: Knex;
  let server: any;
  let stopBackend: () => Promise<void>;
  const hooks = new TestReceiver().on('/hooks/ok', () => ({ status: 202, body: { accepted: true } }));
  const sink = new TestReceiver();
  /** Attempts per event id at /flaky: the first two fail. */
  const flaky = new Map<string, number>();
  /** Answers /slow has given (each after 10 s). */
  let slowAnswers = 0;
  const published: EventParams[] = [];

  const api = (path: string) => `/api/self-service-actions${path}`;
  const as = (person: Person) => ({ authorization: authHeader(person) });
  const createRun = (actionId: string, person: Person = 'allowed') =>
    request(server)
      .post(api(`/actions/${actionId}/runs`))
      .set(as(person))
      .send({
        entityRef: 'component:default/payments',
        inputs: actionId === 'failing' ? {} : { reason: 'stuck-payments-4711' },
      });
  const tokenOf = (runId: string) =>
    hooks.requests.find(hook => hook.body.run?.id === runId || hook.body.runId === runId)?.body.reportToken;
  const report = (token: string, body: object) =>
    request(server).post(api('/report')).set('x-report-token', token).send(body);
  const complete = (runId: string) =>
    report(tokenOf(runId), {
      status: 'complete',
      startedAt: started,
      message: 'Done',
      steps: [{ title: 'Only step', status: 'complete', startedAt: started, logs: ['ok'] }],
    });
  const received = (path: string, runId: string) =>
    sink.requests.filter(hook => hook.path === path && hook.body?.data?.run?.id === runId);
  const typesAt = (path: string, runId: string) => received(path, runId).map(hook => hook.body.type);
  const deliveries = (runId: string) => knex('event_deliveries').where({ run_id: runId }).orderBy('id');

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    sink
      .on('/all', () => ({ status: 204 }))
      .on('/filtered', () => ({ status: 200, body: 'ok' }))
      .on('/flaky', hook => {
        const id = String(hook.headers['webhook-id']);
        const attempts = (flaky.get(id) ?? 0) + 1;
        flaky.set(id, attempts);
        return { status: attempts <= 2 ? 503 : 204 };
      })
      .on('/slow', async () => {
        await new Promise(resolve => setTimeout(resolve, 10_000).unref());
        slowAnswers++;
        return { status: 204 };
      });
    const hooksUrl = await hooks.start();
    const sinkUrl = await sink.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}/hooks`;
    const listener = createBackendModule({
      pluginId: 'self-service-actions',
      moduleId: 'test-event-listener',
      register(env) {
        env.registerInit({
          deps: { events: eventsServiceRef },
          async init({ events }) {
            await events.subscribe({
              id: 'test-listener',
              topics: ['self-service-actions'],
              onEvent: async params => void published.push(params),
            });
          },
        });
      },
    });
    const backend = await startPluginBackend({
      knex,
      extraFeatures: [listener],
      selfServiceActions: {
        admins: ['group:default/portal-admins'],
        actions: [
          ...actionsConfig(hooksUrl, refusedUrl),
          {
            id: 'guarded-restart',
            name: 'Guarded restart',
            icon: 'restart',
            type: 'Day2',
            status: 'Active',
            owner: 'group:default/platform',
            allowedPeople: ['*'],
            appliesTo: ['Service'],
            approval: { approvers: ['group:default/sre'] },
            userInputs: { type: 'object', properties: { reason: { type: 'string' } } },
            method: { type: 'Webhook', url: `${hooksUrl}/hooks/ok` },
          },
        ],
        events: {
          eventsService: true,
          retryDelay: { milliseconds: 200 },
          retryFor: { seconds: 3 },
          pollInterval: { milliseconds: 100 },
          timeout: { seconds: 20 },
          subscribers: [
            { id: 'all', url: `${sinkUrl}/all`, signingSecret: SECRET },
            {
              id: 'filtered',
              url: `${sinkUrl}/filtered`,
              signingSecret: RAW_SECRET,
              types: ['run.created', 'run.succeeded'],
              actions: ['restart-service'],
            },
            { id: 'flaky', url: `${sinkUrl}/flaky`, signingSecret: SECRET, types: ['run.created'] },
            { id: 'slow', url: `${sinkUrl}/slow`, signingSecret: SECRET },
            { id: 'dead', url: `${refusedUrl}/events`, signingSecret: SECRET, types: ['run.created'] },
          ],
        },
      },
    });
    server = backend.server;
    stopBackend = backend.stop;
  });

  afterAll(async () => {
    // Receivers first (an attempt to the slow subscriber ends with its socket), then the
    // backend, whose shutdown stops the deliverers.
    await hooks.stop();
    await sink.stop();
    await stopBackend();
  });

  it("sends a run's events in sequence, signed, to each subscriber that takes them", async () => {
    const run = (await createRun('restart-service')).body;
    await waitFor('the webhook', () => tokenOf(run.id));
    const done = await complete(run.id);
    expect(done.body).toEqual({ id: run.id, status: 'complete' });
    await waitFor('three events at /all', () => received('/all', run.id).length >= 3 || undefined);

    const events = received('/all', run.id);
    expect(events.map(hook => [hook.body.type, hook.body.data.sequence, hook.body.data.run.status])).toEqual([
      ['run.created', 1, 'inprogress'],
      ['run.dispatched', 2, 'inprogress'],
      ['run.succeeded', 3, 'complete'],
    ]);
    for (const hook of events) {
      // Verified with the standardwebhooks library, as a receiver would.
      expect(new Webhook(SECRET).verify(hook.rawBody, hook.headers as Record<string, string>)).toEqual(hook.body);
      expect(hook.headers['webhook-id']).toBe(hook.body.id);
      expect(hook.headers['content-type']).toBe('application/json');
      // Never inputs or tokens.
      expect(hook.rawBody).not.toContain('stuck-payments-4711');
      expect(hook.rawBody).not.toContain(tokenOf(run.id));
    }
    expect(events[2].body).toEqual({
      type: 'run.succeeded',
      id: expect.any(String),
      timestamp: expect.any(String),
      data: {
        run: {
          id: run.id,
          actionId: 'restart-service',
          actionName: run.actionName,
          actionType: 'Day2',
          entityRef: 'component:default/payments',
          initiatedBy: 'user:default/jane',
          status: 'complete',
          createdAt: run.createdAt,
          completedAt: expect.any(String),
          url: `/self-service-actions/runs/${run.id}`,
        },
        sequence: 3,
        elapsedMs: expect.any(Number),
      },
    });

    // Type and action filters; a plain-text secret signs with its own bytes.
    await waitFor('two events at /filtered', () => received('/filtered', run.id).length >= 2 || undefined);
    expect(typesAt('/filtered', run.id)).toEqual(['run.created', 'run.succeeded']);
    const rawKey = Buffer.from(RAW_SECRET).toString('base64');
    for (const hook of received('/filtered', run.id)) {
      expect(new Webhook(rawKey).verify(hook.rawBody, hook.headers as Record<string, string>)).toEqual(hook.body);
    }
    const other = (await createRun('failing')).body;
    expect(other).toMatchObject({ actionId: 'failing' });
    await waitFor('the other run at /all', () => received('/all', other.id).length >= 2 || undefined);
    expect(received('/filtered', other.id)).toEqual([]);

    // The same events on Backstage's events service, for modules in process.
    await waitFor('three published events', () =>
      published.filter(event => (event.eventPayload as any).data.run.id === run.id).length >= 3 || undefined,
    );
    const mine = published.filter(event => (event.eventPayload as any).data.run.id === run.id);
    expect(mine.map(event => event.eventPayload)).toEqual(events.map(hook => hook.body));
    expect(mine.map(event => [event.topic, event.metadata?.type])).toEqual([
      ['self-service-actions', 'run.created'],
      ['self-service-actions', 'run.dispatched'],
      ['self-service-actions', 'run.succeeded'],
    ]);
  });

  it('retries with the same webhook-id until a 2xx', async () => {
    const run = (await createRun('restart-service')).body;
    await waitFor('three attempts at /flaky', () => received('/flaky', run.id).length >= 3 || undefined);
    const attempts = received('/flaky', run.id);
    expect(new Set(attempts.map(hook => hook.headers['webhook-id'])).size).toBe(1);
    expect(new Set(attempts.map(hook => hook.rawBody)).size).toBe(1);
    await waitFor('the delivery recorded', async () => {
      const row = (await deliveries(run.id)).find(d => d.subscriber_id === 'flaky');
      return row?.status === 'delivered' ? row : undefined;
    });
    const row = (await deliveries(run.id)).find(d => d.subscriber_id === 'flaky');
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, response_status: 204, last_error: null });
    await sleep(500);
    expect(received('/flaky', run.id)).toHaveLength(3);
  });

  it('tells of approvals, rejections, cancels and failures, with who decided and why', async () => {
    const approved = (await createRun('guarded-restart')).body;
    expect(approved).toMatchObject({ status: 'pending-approval' });
    const approval = await request(server).post(api(`/runs/${approved.id}/approve`)).set(as('viewer')).send({ comment: 'go' });
    expect(approval.body).toMatchObject({ status: 'inprogress' });
    const rejected = (await createRun('guarded-restart')).body;
    expect(
      (await request(server).post(api(`/runs/${rejected.id}/reject`)).set(as('viewer')).send({ comment: 'not now' }))
        .status,
    ).toBe(200);
    const cancelled = (await createRun('restart-service')).body;
    await waitFor('the webhook', () => tokenOf(cancelled.id));
    expect((await request(server).post(api(`/runs/${cancelled.id}/cancel`)).set(as('allowed'))).status).toBe(200);
    const failed = (await createRun('failing')).body;

    await waitFor('every event', () =>
      received('/all', approved.id).length >= 3 &&
      received('/all', rejected.id).length >= 2 &&
      received('/all', cancelled.id).length >= 3 &&
      received('/all', failed.id).length >= 2
        ? true
        : undefined,
    );
    expect(typesAt('/all', approved.id)).toEqual(['run.created', 'run.approved', 'run.dispatched']);
    expect(received('/all', approved.id)[1].body.data.review).toEqual({
      by: 'user:default/vic',
      decision: 'approved',
      comment: 'go',
    });
    expect(typesAt('/all', rejected.id)).toEqual(['run.created', 'run.rejected']);
    expect(received('/all', rejected.id)[1].body.data).toMatchObject({
      review: { by: 'user:default/vic', decision: 'rejected', comment: 'not now' },
      run: { status: 'rejected' },
    });
    expect(typesAt('/all', cancelled.id)).toEqual(['run.created', 'run.dispatched', 'run.terminated']);
    expect(received('/all', cancelled.id)[2].body.data).toMatchObject({ reason: expect.any(String) });
    expect(typesAt('/all', failed.id)).toEqual(['run.created', 'run.failed']);
    expect(received('/all', failed.id)[1].body.data.reason).toEqual(expect.any(String));
  });

  it('writes no event when the status change fails, and the run stays as it was', async () => {
    const run = (await createRun('restart-service')).body;
    await waitFor('dispatched', async () => ((await deliveries(run.id)).length >= 2 ? true : undefined));
    const before = await knex('run_events').where({ run_id: run.id }).orderBy('sequence');
    // The database refuses the change to complete (as a full disk or a failover would).
    if (databaseId === 'SQLITE_3') {
      await knex.raw(`create trigger refuse_complete before update of status on runs
        when new.status = 'complete' begin select raise(abort, 'refused by the test'); end`);
    } else {
      await knex.raw(`alter table runs add constraint refuse_complete check (status <> 'complete') not valid`);
    }
    try {
      expect((await complete(run.id)).status).toBe(500);
    } finally {
      await knex.raw(
        databaseId === 'SQLITE_3' ? 'drop trigger refuse_complete' : 'alter table runs drop constraint refuse_complete',
      );
    }
    expect(await knex('run_events').where({ run_id: run.id }).orderBy('sequence')).toEqual(before);
    expect(await knex('runs').where({ id: run.id }).first()).toMatchObject({ status: 'inprogress', event_sequence: 2 });
    // The change made later writes its event with the next sequence.
    expect((await complete(run.id)).status).toBe(200);
    expect((await knex('run_events').where({ run_id: run.id }).orderBy('sequence')).map(e => [e.sequence, e.type]))
      .toEqual([
        [1, 'run.created'],
        [2, 'run.dispatched'],
        [3, 'run.succeeded'],
      ]);
  });

  it('a 10 s subscriber delays neither runs, reports nor other subscribers', async () => {
    const answersBefore = slowAnswers;
    const runs = await Promise.all(Array.from({ length: 12 }, () => createRun('restart-service')));
    expect(runs.map(res => res.status)).toEqual(runs.map(() => 201));
    const ids = runs.map(res => res.body.id as string);
    await waitFor('every webhook', () => ids.every(id => tokenOf(id)) || undefined);
    const reports = await Promise.all(
      ids.flatMap(id => [
        report(tokenOf(id), { status: 'inprogress', startedAt: started, steps: [{ title: 'One', status: 'inprogress', startedAt: started }] }),
        report(tokenOf(id), { status: 'inprogress', startedAt: started, steps: [{ title: 'Two', status: 'inprogress', startedAt: started }] }),
      ]),
    );
    expect(reports.map(res => res.status)).toEqual(reports.map(() => 200));
    expect((await Promise.all(ids.map(complete))).map(res => res.status)).toEqual(ids.map(() => 200));
    await waitFor('every event at /all', () => ids.every(id => received('/all', id).length >= 3) || undefined);
    // All of it happened while the slow subscriber had not answered once.
    expect(slowAnswers).toBe(answersBefore);
    for (const id of ids) {
      expect(typesAt('/all', id)).toEqual(['run.created', 'run.dispatched', 'run.succeeded']);
    }
  });

  describe('admin routes', () => {
    const list = (person: Person, query = '') =>
      request(server).get(api(`/events/deliveries${query}`)).set(as(person));
    const retry = (person: Person, id: string) =>
      request(server).post(api(`/events/deliveries/${id}/retry`)).set(as(person));

    it('answer 403 to everyone but admins, whether or not the delivery exists', async () => {
      const run = (await createRun('restart-service')).body;
      const row = await waitFor('a delivery', async () => (await deliveries(run.id))[0]);
      for (const person of ['allowed', 'owner', 'viewer', 'stranger'] as Person[]) {
        expect((await list(person)).status).toBe(403);
        expect((await list(person, '?status=failed')).status).toBe(403);
        expect((await retry(person, String(row.id))).status).toBe(403);
        expect((await retry(person, '999999999')).status).toBe(403);
      }
      const res = await list('stranger');
      expect(res.body.error).toMatchObject({ name: 'NotAllowedError' });
      // GET /me tells the frontend whether to show the admins' view at all.
      const me = async (person: Person) => (await request(server).get(api('/me')).set(as(person))).body;
      const off = { canCreateActions: false, allowedUrls: [] };
      expect(await me('admin')).toEqual({ userEntityRef: 'user:default/ada', admin: true, ...off });
      expect(await me('owner')).toEqual({ userEntityRef: 'user:default/olivia', admin: false, ...off });
      expect((await request(server).get(api('/me'))).status).toBe(401);
      expect((await request(server).get(api('/events/deliveries'))).status).toBe(401);
    });

    it('list failed deliveries, page, and send one again with the same webhook-id', async () => {
      const run = (await createRun('restart-service')).body;
      // The dead subscriber refuses connections; after retryFor (3 s) the delivery is failed.
      const failed = await waitFor(
        'a failed delivery',
        async () => (await deliveries(run.id)).find(d => d.subscriber_id === 'dead' && d.status === 'failed'),
        30_000,
      );
      const res = await list('admin', '?status=failed&subscriberId=dead');
      expect(res.status).toBe(200);
      const item = res.body.items.find((d: any) => d.id === String(failed.id));
      expect(item).toMatchObject({
        eventId: failed.event_id,
        subscriberId: 'dead',
        type: 'run.created',
        runId: run.id,
        sequence: 1,
        status: 'failed',
        nextAttemptAt: null,
        deliveredAt: null,
        responseStatus: null,
        // Attempted and refused, or (the paused subscriber probing its backlog one at a time)
        // given up at its deadline without another attempt.
        lastError: expect.stringMatching(/ECONNREFUSED|Not delivered in time/),
      });
      expect(res.body.items.filter((d: any) => d.lastError?.includes('ECONNREFUSED')).length).toBeGreaterThan(0);

      const page = await list('admin', '?subscriberId=all&limit=2');
      expect(page.body.items).toHaveLength(2);
      const next = await list('admin', `?subscriberId=all&limit=2&cursor=${page.body.nextCursor}`);
      expect(Number(next.body.items[0].id)).toBeLessThan(Number(page.body.items[1].id));
      expect((await list('admin', '?cursor=abc')).status).toBe(400);
      expect((await list('admin', '?status=lost')).status).toBe(400);
      expect((await list('admin', '?limit=101')).status).toBe(400);

      // A delivered one, sent again: same webhook-id, counted at the receiver.
      const delivered = await waitFor('delivered to /all', async () =>
        (await deliveries(run.id)).find(d => d.subscriber_id === 'all' && d.status === 'delivered'),
      );
      const sentBefore = received('/all', run.id).filter(hook => hook.headers['webhook-id'] === delivered.event_id);
      expect(sentBefore).toHaveLength(1);
      const again = await retry('admin', String(delivered.id));
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: String(delivered.id), status: 'pending', deliveredAt: null });
      await waitFor('the second delivery', () =>
        received('/all', run.id).filter(hook => hook.headers['webhook-id'] === delivered.event_id).length >= 2 ||
        undefined,
      );
      expect((await retry('admin', String(failed.id))).body).toMatchObject({ status: 'pending' });
      // While pending it is not retried by hand; unknown ids are 404.
      expect((await retry('admin', String(failed.id))).status).toBe(409);
      expect((await retry('admin', '999999999')).status).toBe(404);
      expect((await retry('admin', 'abc')).status).toBe(404);
    });
  });
});
