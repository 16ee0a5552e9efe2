import { TestDatabases } from '@backstage/backend-test-utils';
import { RunChangedSignal } from '@self-service-actions/plugin-self-service-actions-common';
import request from 'supertest';
import { started, useRouterHarness } from '../testing/routerHarness';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });

describe.each(databases.eachSupportedId())('router: POST /report on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases);
  const { api, as, createRun, tokenOf, report } = h;

  describe('POST /report', () => {

    it('merges steps by title, replaces logs, caps lines and completes the run', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const first = await report(token, {
        status: 'inprogress',
        startedAt: started,
        links: [{ title: 'CI job', url: 'https://ci.example.com/1' }],
        steps: [
          { title: 'Set up job', status: 'complete', startedAt: started, logs: ['a', 'b'] },
          { title: 'Restart', status: 'inprogress', startedAt: started, logs: ['1'] },
        ],
      });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ id: run.id, status: 'inprogress' });
      // configure8's header name and curl's default form content type both work
      const second = await report(
        token,
        JSON.stringify({
          status: 'complete',
          startedAt: started,
          message: 'all pods restarted',
          links: [{ title: 'CI job #1', url: 'https://ci.example.com/1' }],
          steps: [
            { title: 'Restart', status: 'complete', startedAt: started, logs: ['1', '2', '3', '4', '5'] },
            { title: 'Set up job', status: 'inprogress', startedAt: started },
            { title: 'Verify', status: 'complete', startedAt: started, logs: [] },
          ],
        }),
        'c8-report-token',
      );
      expect(second.status).toBe(200);
      const read = await request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'));
      expect(read.body).toMatchObject({
        status: 'complete',
        message: 'all pods restarted',
        startedAt: '2026-05-10T15:35:42.714Z',
        links: [{ title: 'CI job #1', url: 'https://ci.example.com/1' }],
        steps: [
          { title: 'Set up job', status: 'complete', logs: ['a', 'b'] },
          { title: 'Restart', status: 'complete', logs: ['3', '4', '5'] },
          { title: 'Verify', status: 'complete', logs: [] },
        ],
      });
      expect(read.body.completedAt).toEqual(expect.any(String));
    });

    it('checks token, finality, expiry and body in that order, changing nothing', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const valid = { status: 'inprogress', startedAt: started };
      const snapshot = async () => [
        await h.knex('runs').where({ id: run.id }).first(),
        await h.knex('run_steps').where({ run_id: run.id }),
      ];
      const before = await snapshot();

      expect((await report(undefined, valid)).status).toBe(401);
      expect((await report('not-a-token', valid)).status).toBe(401);
      for (const body of [
        '{"status": ',
        { status: 'weird', startedAt: started },
        { status: 'inprogress' },
        { status: 'inprogress', startedAt: 'yesterday' },
        { status: 'inprogress', startedAt: '2026-05-10T15:35:42' },
        { status: 'inprogress', startedAt: started, extra: 1 },
        `{"status":"inprogress","startedAt":"${started}","__proto__":{"admin":true}}`,
        { status: 'inprogress', startedAt: started, steps: [{ title: 'a', status: 'complete', startedAt: started }, { title: 'a', status: 'complete', startedAt: started }] },
      ]) {
        const res = await report(token, body);
        expect(res.status).toBe(400);
        expect(res.body.error.name).toBe('InputError');
      }
      expect(await snapshot()).toEqual(before);

      await h.knex('runs').where({ id: run.id }).update({ expires_at: new Date(Date.now() - 1000) });
      const expired = await report(token, valid);
      expect(expired.status).toBe(401);
      expect(expired.body.error.message).toBe('Report token expired');

      await h.knex('runs').where({ id: run.id }).update({ status: 'complete' });
      const final = await report(token, valid);
      expect(final.status).toBe(409);
      expect(final.body.error.name).toBe('ConflictError');
    });

    it('refuses a timestamp JavaScript cannot hold (a leap second) and changes nothing', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const res = await report(tokenOf(), {
        status: 'inprogress',
        startedAt: '2026-06-30T23:59:60Z',
        message: 'leap',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      const read = await request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'));
      expect(read.body.message).not.toBe('leap');
    });

    it('stores characters no text column can hold (NUL, a lone surrogate) as U+FFFD', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      // A reporter that writes raw bytes; JSON allows both escapes.
      const body = `{"status":"inprogress","startedAt":"${started}","message":"a\\u0000b\\ud800c",
        "steps":[{"title":"t\\udc00","status":"inprogress","startedAt":"${started}","logs":["x\\u0000"]}]}`;
      const res = await request(h.server)
        .post(api('/report'))
        .set('x-report-token', tokenOf())
        .set('content-type', 'application/json')
        .send(body);
      expect(res.status).toBe(200);
      const read = (await request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'))).body;
      expect(read.message).toBe('a\ufffdb\ufffdc');
      expect(read.steps).toEqual([expect.objectContaining({ title: 't\ufffd', logs: ['x\ufffd'] })]);
    });

    it('answers 413 to an oversized report before looking at the token', async () => {
      const res = await report('whatever', { status: 'inprogress', startedAt: started, message: 'x'.repeat(70 * 1024) });
      expect(res.status).toBe(413);
    });

    it('signals changes to those who may follow the runs, with ids and statuses only', async () => {
      const first = (await createRun('allowed', 'restart-service')).body;
      const firstToken = tokenOf();
      const second = (await createRun('allowed', 'restart-service')).body;
      const secondToken = tokenOf();
      await report(firstToken, { status: 'inprogress', startedAt: started, message: 'private detail' });
      await report(secondToken, { status: 'inprogress', startedAt: started });
      await report(firstToken, { status: 'complete', startedAt: started });
      // Changes are gathered for a moment (RunChangeAnnouncer.test.ts covers how).
      const announced = async () => {
        for (let waited = 0; waited < 5000; waited += 50) {
          const latest = new Map(
            h.signals.flatMap(signal => (signal.message as RunChangedSignal).runs).map(r => [r.runId, r.status]),
          );
          if (latest.get(first.id) === 'complete' && latest.get(second.id) === 'inprogress') return latest;
          await new Promise(resolve => setTimeout(resolve, 50));
        }
        throw new Error(`missing announcements in ${JSON.stringify(h.signals)}`);
      };
      await announced();
      const ours = h.signals.filter(signal =>
        (signal.message as RunChangedSignal).runs.some(r => r.runId === first.id || r.runId === second.id),
      );
      expect(ours.length).toBeGreaterThan(0);
      for (const signal of ours) {
        expect(signal).toEqual({
          // The users of the audience (initiator, owners, results viewers, admins) who called
          // the plugin lately, as the policy allows (signalsPolicy.test.ts): here the initiator.
          recipients: { type: 'user', entityRef: ['user:default/jane'] },
          channel: 'self-service-actions:run',
          message: { runs: expect.any(Array) },
        });
        for (const run of (signal.message as RunChangedSignal).runs) {
          expect(Object.keys(run).sort()).toEqual(['runId', 'status']);
        }
      }
    });

    it('never reopens a final step and never moves a final run', async () => {
      await createRun('allowed', 'restart-service');
      const token = tokenOf();
      await report(token, {
        status: 'inprogress',
        startedAt: started,
        steps: [{ title: 'Build', status: 'failed', startedAt: started }],
      });
      await report(token, {
        status: 'failed',
        startedAt: started,
        steps: [{ title: 'Build', status: 'inprogress', startedAt: started }],
      });
      const again = await report(token, { status: 'complete', startedAt: started });
      expect(again.status).toBe(409);
      const runId = h.receiver.requests.at(-1)!.body.run.id;
      const read = await request(h.server).get(api(`/runs/${runId}`)).set(as('admin'));
      expect(read.body.status).toBe('failed');
      expect(read.body.steps).toEqual([expect.objectContaining({ title: 'Build', status: 'failed' })]);
    });

    it('keeps every step when many reports for one run arrive at once', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          report(token, {
            status: 'inprogress',
            startedAt: started,
            steps: [{ title: `step ${i}`, status: 'complete', startedAt: started, logs: [`${i}`] }],
          }),
        ),
      );
      expect(results.map(r => r.status)).toEqual(Array(20).fill(200));
      const read = await request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'));
      expect(read.body.steps).toHaveLength(20);
    });

    it('applies concurrent reports of many runs each to its own run only', async () => {
      const runs: Array<{ id: string; token: string }> = [];
      for (let i = 0; i < 12; i++) {
        const run = (await createRun('allowed', 'restart-service')).body;
        runs.push({ id: run.id, token: tokenOf() });
      }
      // Two reports per run, all at once: on PostgreSQL they share batched statements.
      const results = await Promise.all(
        runs.flatMap(({ token }, i) => [
          report(token, {
            status: i % 3 === 0 ? 'complete' : 'inprogress',
            startedAt: started,
            message: `run ${i}`,
            steps: [{ title: `build ${i}`, status: 'complete', startedAt: started, logs: [`built ${i}`] }],
          }),
          report(token, {
            status: 'inprogress',
            startedAt: started,
            steps: [{ title: 'test', status: 'inprogress', startedAt: started, logs: [`testing ${i}`] }],
          }),
        ]),
      );
      for (const [i, { id }] of runs.entries()) {
        const [first, second] = results.slice(2 * i, 2 * i + 2);
        expect(first.status).toBe(200);
        const read = (await request(h.server).get(api(`/runs/${id}`)).set(as('allowed'))).body;
        expect(read.message).toBe(`run ${i}`);
        expect(read.messages.map((m: { text: string }) => m.text)).toEqual([`run ${i}`]);
        expect(read.steps).toContainEqual(
          expect.objectContaining({ title: `build ${i}`, status: 'complete', logs: [`built ${i}`] }),
        );
        // the second is applied whole, or refused (409) because the first ended the run, and
        // then nothing of it was kept
        expect([200, 409]).toContain(second.status);
        const kept = read.steps.map((step: { title: string; logs: string[] }) => [step.title, step.logs]);
        expect(kept.sort()).toEqual(
          second.status === 200
            ? [[`build ${i}`, [`built ${i}`]], ['test', [`testing ${i}`]]]
            : [[`build ${i}`, [`built ${i}`]]],
        );
        expect(read.status).toBe(i % 3 === 0 ? 'complete' : 'inprogress');
      }
    });

    it('applies concurrent reports of one run whole or not at all: own steps, a shared step, status changes, a final report', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const bodies = [
        // each adds its own step
        ...Array.from({ length: 15 }, (_, i) => ({
          status: 'inprogress',
          startedAt: started,
          steps: [{ title: `own ${i}`, status: 'complete', startedAt: started, logs: [`own ${i}`] }],
        })),
        // all update one step; one of them completes it, and a complete step never reopens
        ...Array.from({ length: 10 }, (_, i) => ({
          status: i % 2 ? 'pending-approval' : 'inprogress',
          startedAt: started,
          steps: [{ title: 'shared', status: i === 4 ? 'complete' : 'inprogress', startedAt: started, logs: [`shared ${i}`] }],
        })),
        // the final report, somewhere in the middle
        { status: 'complete', startedAt: started, message: 'all done', steps: [{ title: 'final', status: 'complete', startedAt: started }] },
        ...Array.from({ length: 10 }, (_, i) => ({
          status: 'inprogress',
          startedAt: started,
          steps: [{ title: `late ${i}`, status: 'inprogress', startedAt: started }],
        })),
      ];
      const results = await Promise.all(bodies.map(body => report(token, body)));
      // Before the final report lands every report is applied; after it, each is refused whole.
      expect(results.every(r => r.status === 200 || r.status === 409)).toBe(true);
      const accepted = bodies.filter((_, i) => results[i].status === 200);
      const finalIndex = bodies.findIndex(body => body.status === 'complete');
      expect(results[finalIndex].status).toBe(200);

      const read = (await request(h.server).get(api(`/runs/${run.id}`)).set(as('admin'))).body;
      expect(read.status).toBe('complete');
      expect(read.message).toBe('all done');
      const titles = read.steps.map((step: { title: string }) => step.title);
      const acceptedTitles = [...new Set(accepted.flatMap(body => body.steps.map(step => step.title)))];
      expect([...titles].sort()).toEqual([...acceptedTitles].sort());
      // Positions follow first appearance without gaps or duplicates.
      expect(new Set(titles).size).toBe(titles.length);
      const shared = read.steps.find((step: { title: string }) => step.title === 'shared');
      const sharedCompleted = accepted.some(body =>
        body.steps.some(step => step.title === 'shared' && step.status === 'complete'),
      );
      // once an accepted report completed it, it stays complete
      expect(sharedCompleted ? shared.status : 'complete').toBe('complete');
      // A refused report left no trace.
      const refusedTitles = bodies
        .filter((_, i) => results[i].status === 409)
        .flatMap(body => body.steps.map(step => step.title))
        .filter(title => !acceptedTitles.includes(title));
      for (const title of refusedTitles) {
        expect(titles).not.toContain(title);
      }
    });
  });

  it('keeps the history of reported messages: new ones with their time, repeats once, the last 20', async () => {
    const run = (await createRun('allowed', 'restart-service')).body;
    const token = tokenOf();
    const say = (message: string | null | undefined, status = 'inprogress') =>
      report(token, { status, startedAt: started, ...(message === undefined ? {} : { message }) });
    for (const message of ['Job queued', 'Job queued', undefined, 'Deploying 3 of 5 pods', null]) {
      expect((await say(message)).status).toBe(200);
    }
    let read = (await request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'))).body;
    expect(read.message).toBeNull();
    expect(read.messages.map((m: { text: string }) => m.text)).toEqual(['Job queued', 'Deploying 3 of 5 pods']);
    const times = read.messages.map((m: { at: string }) => Date.parse(m.at));
    expect(times[0]).toBeLessThanOrEqual(times[1]);
    expect(times[1]).toBeLessThanOrEqual(Date.parse(read.updatedAt));

    for (let i = 1; i <= 25; i++) {
      expect((await say(`step ${i}`)).status).toBe(200);
    }
    expect((await say('Rolled out', 'complete')).status).toBe(200);
    read = (await request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'))).body;
    expect(read.messages.map((m: { text: string }) => m.text)).toEqual([
      ...Array.from({ length: 19 }, (_, i) => `step ${i + 7}`),
      'Rolled out',
    ]);
    // Lists carry the history too (it is bounded, unlike logs).
    const list = (await request(h.server).get(api(`/runs?actionId=restart-service`)).set(as('allowed'))).body;
    expect(list.items.find((item: { id: string }) => item.id === run.id).messages).toHaveLength(20);
  });

  it('keeps at most 50 links per run: reports past the cap are accepted and trimmed', async () => {
    const run = (await createRun('allowed', 'restart-service')).body;
    const token = tokenOf();
    const link = (i: number) => ({ title: `L${i}`, url: `https://ci.example.com/${i}` });
    // One report carries at most 50 links (the report schema); a run keeps at most 50 in all.
    const first = await report(token, { status: 'inprogress', startedAt: started, links: Array.from({ length: 40 }, (_, i) => link(i)) });
    expect(first.status).toBe(200);
    const second = await report(token, {
      status: 'inprogress',
      startedAt: started,
      links: [{ title: 'renamed', url: 'https://ci.example.com/0' }, ...Array.from({ length: 20 }, (_, i) => link(40 + i))],
    });
    expect(second.status).toBe(200);
    const read = await request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'));
    expect(read.body.links).toHaveLength(50);
    expect(read.body.links[0]).toEqual({ title: 'renamed', url: 'https://ci.example.com/0' });
    expect(read.body.links.at(-1).url).toBe('https://ci.example.com/49');
  });

  it('never renews a token past maxPendingApproval after the run was created, however the reporter toggles', async () => {
    const run = (await createRun('allowed', 'restart-service')).body;
    const token = tokenOf();
    const day = 24 * 60 * 60 * 1000;
    // created 29.5 days ago: the 30-day limit is half a day away
    const createdAt = new Date(Date.now() - 29.5 * day);
    await h.knex('runs').where({ id: run.id }).update({ created_at: createdAt });
    const expiry = async () => {
      const row = await h.knex('runs').where({ id: run.id }).first();
      return new Date(row.expires_at).getTime();
    };
    const limit = createdAt.getTime() + 30 * day;
    for (const status of ['pending-approval', 'inprogress', 'pending-approval', 'inprogress']) {
      expect((await report(token, { status, startedAt: started })).status).toBe(200);
      expect(await expiry()).toBeLessThanOrEqual(limit);
    }
    // leaving pending-approval would otherwise have given a whole day
    expect(await expiry()).toBeLessThan(Date.now() + day / 2 + 60_000);
  });
});
