import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { Person } from '../testing/fixtures';
import { started, useRouterHarness } from '../testing/routerHarness';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });

describe.each(databases.eachSupportedId())('router: runs on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases);
  const { api, as, createRun, tokenOf } = h;

  describe('runs', () => {
    it('answers 404 for a run id no database can hold, without failing the reads beside it', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const [nul, cancelNul, ...reads] = await Promise.all([
        request(h.server).get(api('/runs/%00')).set(as('allowed')),
        request(h.server).post(api('/runs/a%00b/cancel')).set(as('allowed')),
        ...Array.from({ length: 5 }, () => request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'))),
      ]);
      expect([nul.status, cancelNul.status]).toEqual([404, 404]);
      expect(reads.map(read => read.status)).toEqual(Array(5).fill(200));
    });

    it('shows each person the runs they may see', async () => {
      await h.knex('run_steps').delete();
      await h.knex('run_tokens').delete();
      await h.knex('runs').delete();
      const janes = (await createRun('allowed', 'restart-service')).body;
      const eds = (await createRun('entityOwner', 'owner-restart', { entityRef: 'component:default/payments' })).body;
      const sams = (await createRun('stranger', 'failing', { entityRef: 'component:default/payments' })).body;
      const ids = async (person: Person, query = '') =>
        (await request(h.server).get(api(`/runs${query}`)).set(as(person))).body.items.map((r: any) => r.id);

      expect(await ids('admin')).toEqual([sams.id, eds.id, janes.id]);
      expect(await ids('owner')).toEqual([sams.id, eds.id, janes.id]);
      expect(await ids('allowed')).toEqual([janes.id]);
      expect(await ids('viewer')).toEqual([janes.id]);
      expect(await ids('entityOwner')).toEqual([eds.id]);
      expect(await ids('stranger')).toEqual([sams.id]);
      expect(await ids('admin', '?mine=true')).toEqual([]);
      expect(await ids('admin', '?status=failed')).toEqual([sams.id]);
      expect(await ids('admin', '?actionId=owner-restart')).toEqual([eds.id]);
      expect(await ids('owner', '?entityRef=component:default/payments')).toHaveLength(3);

      const page1 = await request(h.server).get(api('/runs?limit=2')).set(as('admin'));
      expect(page1.body.items).toHaveLength(2);
      const page2 = await request(h.server)
        .get(api(`/runs?limit=2&cursor=${page1.body.nextCursor}`))
        .set(as('admin'));
      expect(page2.body.items.map((r: any) => r.id)).toEqual([janes.id]);
      expect(page2.body.nextCursor).toBeUndefined();

      // oldest first, paging on in that order
      expect(await ids('admin', '?order=oldest')).toEqual([janes.id, eds.id, sams.id]);
      const oldest1 = await request(h.server).get(api('/runs?limit=2&order=oldest')).set(as('admin'));
      expect(oldest1.body.items.map((r: any) => r.id)).toEqual([janes.id, eds.id]);
      const oldest2 = await request(h.server)
        .get(api(`/runs?limit=2&order=oldest&cursor=${oldest1.body.nextCursor}`))
        .set(as('admin'));
      expect(oldest2.body.items.map((r: any) => r.id)).toEqual([sams.id]);
      expect(await ids('stranger', '?order=oldest')).toEqual([sams.id]);

      for (const query of ['?status=nope', '?limit=0', '?limit=1000', '?mine=maybe', '?cursor=zzz', '?order=random']) {
        const res = await request(h.server).get(api(`/runs${query}`)).set(as('admin'));
        expect(res.status).toBe(400);
      }

      const hidden = await request(h.server).get(api(`/runs/${janes.id}`)).set(as('stranger'));
      expect(hidden.status).toBe(404);
      const missing = await request(h.server).get(api('/runs/nope')).set(as('stranger'));
      expect(missing.status).toBe(404);
      expect(hidden.body.error).toEqual({ ...missing.body.error, message: expect.any(String) });
      const viewer = await request(h.server).get(api(`/runs/${janes.id}`)).set(as('viewer'));
      expect(viewer.status).toBe(200);
      expect(viewer.body).toMatchObject({ canCancel: false, canRerun: false });
    });

    it('lets the initiator, owners and admins cancel, but not results viewers', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      const token = tokenOf();
      const viewer = await request(h.server).post(api(`/runs/${run.id}/cancel`)).set(as('viewer'));
      expect(viewer.status).toBe(403);
      const stranger = await request(h.server).post(api(`/runs/${run.id}/cancel`)).set(as('stranger'));
      expect(stranger.status).toBe(404);
      const cancelled = await request(h.server).post(api(`/runs/${run.id}/cancel`)).set(as('allowed'));
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'terminated', message: 'Cancelled by user:default/jane', canCancel: false });
      const again = await request(h.server).post(api(`/runs/${run.id}/cancel`)).set(as('owner'));
      expect(again.status).toBe(409);
      // the receiver learns it from the 409 on its next report
      const late = await request(h.server)
        .post(api('/report'))
        .set('x-report-token', token)
        .send({ status: 'inprogress', startedAt: started });
      expect(late.status).toBe(409);
    });

    it('re-runs with overrides, asking for secret inputs again', async () => {
      const original = (
        await createRun('allowed', 'restart-service', {
          entityRef: 'component:default/payments',
          inputs: { reason: 'first', replicas: 3, apiKey: 'k1' },
        })
      ).body;
      const rerun = await request(h.server)
        .post(api(`/runs/${original.id}/rerun`))
        .set(as('allowed'))
        .send({ inputs: { reason: 'second', apiKey: 'k2' } });
      expect(rerun.status).toBe(201);
      expect(rerun.body).toMatchObject({ rerunOf: original.id, inputs: { reason: 'second', replicas: 3 } });
      expect(h.receiver.requests.at(-1)!.body.inputs).toEqual({ reason: 'second', replicas: 3, apiKey: 'k2' });
      expect(h.receiver.requests.at(-1)!.body.run.id).toBe(rerun.body.id);

      const byOwner = await request(h.server).post(api(`/runs/${original.id}/rerun`)).set(as('owner')).send({});
      expect(byOwner.status).toBe(201);
      expect(byOwner.body.initiatedBy).toBe('user:default/olivia');

      const byViewer = await request(h.server).post(api(`/runs/${original.id}/rerun`)).set(as('viewer')).send({});
      expect(byViewer.status).toBe(403);
      const byStranger = await request(h.server).post(api(`/runs/${original.id}/rerun`)).set(as('stranger')).send({});
      expect(byStranger.status).toBe(404);
      const badInputs = await request(h.server)
        .post(api(`/runs/${original.id}/rerun`))
        .set(as('allowed'))
        .send({ inputs: { replicas: 0 } });
      expect(badInputs.status).toBe(400);
    });

    it('sends the webhook of a run whose instance died before sending it, once, with a new token', async () => {
      const task = h.scheduler.scheduleTask.mock.calls.find(([t]) => t.id === 'self-service-actions-dispatch-pending')![0];
      const dispatchPending = task.fn as () => Promise<void>;
      const lost = (await createRun('allowed', 'restart-service')).body;
      const firstToken = tokenOf();
      const secret = (
        await createRun('allowed', 'restart-service', {
          entityRef: 'component:default/payments',
          inputs: { reason: 'with secret', apiKey: 'k' },
        })
      ).body;
      const cancelled = (await createRun('allowed', 'restart-service')).body;
      await request(h.server).post(api(`/runs/${cancelled.id}/cancel`)).set(as('allowed'));
      // as if their instance had died between storing them and sending their webhooks
      await h.knex('runs')
        .whereIn('id', [lost.id, secret.id, cancelled.id])
        .update({ dispatch_status: 'pending', dispatch_lease_until: new Date(Date.now() - 1000) });
      h.receiver.requests.length = 0;

      await Promise.all([dispatchPending(), dispatchPending()]);
      expect(h.receiver.requests.map(r => r.body.run.id)).toEqual([lost.id]);
      const resent = h.receiver.requests[0];
      expect(resent.headers['webhook-id']).toBe(lost.id);
      expect(resent.body.inputs).toEqual({ reason: 'stuck', replicas: 2 });
      const secondToken = resent.body.reportToken;
      expect(secondToken).not.toBe(firstToken);
      // both tokens stay valid: a receiver that ignored the repeat keeps working
      for (const token of [firstToken, secondToken]) {
        const res = await request(h.server)
          .post(api('/report'))
          .set('x-report-token', token)
          .send({ status: 'inprogress', startedAt: started });
        expect(res.status).toBe(200);
      }
      expect((await h.knex('runs').where({ id: lost.id }).first()).dispatch_attempts).toBe(2);
      const failed = await request(h.server).get(api(`/runs/${secret.id}`)).set(as('allowed'));
      expect(failed.body).toMatchObject({ status: 'failed', error: 'secret inputs lost before dispatch; re-run' });
      expect((await request(h.server).get(api(`/runs/${cancelled.id}`)).set(as('allowed'))).body.status).toBe('terminated');
      await dispatchPending();
      expect(h.receiver.requests).toHaveLength(1);
    });

    it('terminates runs whose token expired when the scheduled sweep runs', async () => {
      const run = (await createRun('allowed', 'restart-service')).body;
      await h.knex('runs').where({ id: run.id }).update({ expires_at: new Date(Date.now() - 1000) });
      const task = h.scheduler.scheduleTask.mock.calls.find(([scheduled]) => scheduled.id === 'self-service-actions-expire-runs')![0];
      expect(task.id).toBe('self-service-actions-expire-runs');
      await (task.fn as () => Promise<void>)();
      const read = await request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'));
      expect(read.body.status).toBe('terminated');
      expect(read.body.message).toMatch(/report token expired/);
    });
  });

  it('lists runs without their log lines, with how many each step holds; one run has them', async () => {
    const run = (await createRun('allowed', 'restart-service')).body;
    const token = tokenOf();
    await request(h.server)
      .post(api('/report'))
      .set('x-report-token', token)
      .send({
        status: 'inprogress',
        startedAt: started,
        steps: [
          { title: 'Build', status: 'complete', startedAt: started, logs: ['a', 'b', 'c'] },
          { title: 'Deploy', status: 'inprogress', startedAt: started },
        ],
      });
    const listed = await request(h.server).get(api('/runs?limit=100')).set(as('allowed'));
    const item = listed.body.items.find((r: any) => r.id === run.id);
    expect(item.steps).toEqual([
      { title: 'Build', status: 'complete', startedAt: expect.any(String), completedAt: null, logCount: 3 },
      { title: 'Deploy', status: 'inprogress', startedAt: expect.any(String), completedAt: null, logCount: 0 },
    ]);
    const one = await request(h.server).get(api(`/runs/${run.id}`)).set(as('allowed'));
    expect(one.body.steps.map((step: any) => [step.logs, step.logCount])).toEqual([
      [['a', 'b', 'c'], 3],
      [[], 0],
    ]);
  });
});
