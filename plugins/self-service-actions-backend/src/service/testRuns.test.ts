import { TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { Person } from '../testing/fixtures';
import { started, useRouterHarness } from '../testing/routerHarness';
import { policyPermissions } from '../testing/testBackend';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const onPayments = { entityRef: 'component:default/payments', inputs: {} };

describe.each(databases.eachSupportedId())('test-fire: POST /actions/:id/test on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases, {
    selfServiceActions: (receiverUrl: string) => ({
      managedActions: { allowedUrls: [`${receiverUrl}/hooks/`], allowPrivateNetworks: true },
    }),
  });
  const fire = (person: Person, actionId: string, body: object = onPayments) =>
    request(h.server).post(h.api(`/actions/${actionId}/test`)).set(h.as(person)).send(body);
  const list = (person: Person, query = '') =>
    request(h.server).get(h.api(`/runs?actionId=draft-action${query}`)).set(h.as(person));

  it('sends a real run of a Draft for its owners and admins, marked test and left out of lists unless asked', async () => {
    for (const person of ['owner', 'admin'] as Person[]) {
      const res = await fire(person, 'draft-action');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ actionId: 'draft-action', test: true, status: 'inprogress', initiatedBy: expect.stringMatching(/^user:/) });
      // the receiver got this run's webhook
      expect(JSON.stringify(h.receiver.requests.at(-1)!.body)).toContain(res.body.id);
    }
    expect(h.receiver.requests).toHaveLength(2);
    // a run of the Draft is still refused
    expect((await h.createRun('owner', 'draft-action', onPayments)).status).toBe(409);
    expect((await list('owner')).body.items).toEqual([]);
    const withTests = await list('owner', '&includeTests=true');
    expect(withTests.body.items.map((run: { test: boolean }) => run.test)).toEqual([true, true]);
    // the run itself is readable and reports like any other
    const [latest] = withTests.body.items;
    expect((await request(h.server).get(h.api(`/runs/${latest.id}`)).set(h.as('owner'))).body.test).toBe(true);
    expect((await h.report(h.tokenOf(), { status: 'complete', startedAt: started })).status).toBe(200);
  });

  it('answers 404 to those who do not see the action, 403 to runners who do not manage it, 400 for inputs', async () => {
    expect((await fire('stranger', 'owner-restart')).status).toBe(404);
    expect((await fire('allowed', 'draft-action')).status).toBe(404);
    const runner = await fire('allowed', 'restart-service', { entityRef: 'component:default/payments', inputs: { reason: 'x' } });
    expect(runner.status).toBe(403);
    expect(runner.body.error.message).toBe('Only the owners of this action and admins may test it');
    expect((await fire('owner', 'restart-service', { entityRef: 'component:default/payments', inputs: {} })).status).toBe(400);
    expect(h.receiver.requests).toHaveLength(0);
  });

  it('lets an owner create a Draft, test it, activate it; then a developer runs it', async () => {
    const draft = {
      name: 'Warm cache',
      type: 'Day2',
      icon: 'restart',
      status: 'Draft',
      owner: 'group:default/platform',
      appliesTo: ['Service'],
      allowedPeople: ['group:default/team-a'],
      method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok` },
    };
    expect((await request(h.server).post(h.api('/actions')).set(h.as('owner')).send(draft)).status).toBe(201);
    expect((await h.createRun('allowed', 'warm-cache', onPayments)).status).toBe(404);
    expect((await fire('owner', 'warm-cache')).body).toMatchObject({ test: true, actionVersion: 1 });
    expect((await h.report(h.tokenOf(), { status: 'complete', startedAt: started })).status).toBe(200);
    const activated = await request(h.server)
      .put(h.api('/actions/warm-cache'))
      .set(h.as('owner'))
      .set('If-Match', '1')
      .send({ ...draft, status: 'Active' });
    expect(activated.body).toMatchObject({ status: 'Active', version: 2 });
    expect((await h.createRun('allowed', 'warm-cache', onPayments)).body).toMatchObject({ test: false, actionVersion: 2 });
  });
});

describe.each(databases.eachSupportedId())('test-fire under a permission policy on %p', databaseId => {
  // The policy denies running actions: a test-fire is a run, refused too; a preview is not sent.
  const h = useRouterHarness(databaseId, databases, {
    permissions: policyPermissions(name =>
      name === 'self-service-actions.action.run' ? { result: AuthorizeResult.DENY } : { result: AuthorizeResult.ALLOW },
    ),
  });

  it('lets the policy’s DENY of run win over an owner’s test-fire', async () => {
    const res = await request(h.server).post(h.api('/actions/draft-action/test')).set(h.as('owner')).send(onPayments);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe('The permission policy does not allow you to run this action');
    expect(h.receiver.requests).toHaveLength(0);
  });
});
