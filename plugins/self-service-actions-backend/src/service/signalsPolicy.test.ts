import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult, PolicyDecision } from '@backstage/plugin-permission-common';
import {
  RunChangedSignal,
  selfServiceRunReadPermission,
} from '@self-service-actions/plugin-self-service-actions-common';
import request from 'supertest';
import { createRunConditionalDecision, runConditions } from '../access/permissionRules';
import { people, Person } from '../testing/fixtures';
import { started, useRouterHarness } from '../testing/routerHarness';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });

/** run.read as the policy says it for each person; everything else allowed. */
const runRead: Partial<Record<Person, PolicyDecision>> = {
  // The action owner: only Day2 runs (restart-service is Day2).
  owner: createRunConditionalDecision(selfServiceRunReadPermission, runConditions.hasActionType({ types: ['Day2'] })),
  // A results viewer the policy denies.
  viewer: { result: AuthorizeResult.DENY },
  // An admin allowed only Delete runs: a conditional decision that excludes this run.
  admin: createRunConditionalDecision(selfServiceRunReadPermission, runConditions.hasActionType({ types: ['Delete'] })),
};

const permissions = mockServices.permissions.mock({
  authorizeConditional: async (requests, options) => {
    const userRef = (options.credentials.principal as { userEntityRef?: string }).userEntityRef;
    const person = (Object.keys(people) as Person[]).find(p => people[p].ref === userRef);
    return requests.map(r =>
      r.permission.name === selfServiceRunReadPermission.name && person && runRead[person]
        ? runRead[person]
        : { result: AuthorizeResult.ALLOW },
    ) as any;
  },
  authorize: async requests => requests.map(() => ({ result: AuthorizeResult.ALLOW })),
}).factory;

describe.each(databases.eachSupportedId())('run change signals and the permission policy on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases, { permissions });

  /** The runs each user was told of, by user ref. */
  function heardBy(runId: string): string[] {
    return h.signals
      .filter(signal => (signal.message as RunChangedSignal).runs.some(r => r.runId === runId))
      .flatMap(signal => (signal.recipients as { entityRef: string[] }).entityRef);
  }

  async function waitForSignal(runId: string, status: string) {
    for (let waited = 0; waited < 5000; waited += 50) {
      const statuses = h.signals.flatMap(signal => (signal.message as RunChangedSignal).runs);
      if (statuses.some(r => r.runId === runId && r.status === status)) return;
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    throw new Error(`no signal of ${runId} ${status} in ${JSON.stringify(h.signals)}`);
  }

  it('tells only the users the policy lets read the run, never a group', async () => {
    // Their pages are open: each has called the plugin, which is when the policy is asked.
    for (const person of ['owner', 'viewer', 'admin'] as Person[]) {
      const res = await request(h.server).get(h.api('/runs')).set(h.as(person));
      expect(res.status).toBe(200);
    }
    const created = await h.createRun('allowed', 'restart-service');
    expect(created.status).toBe(201);
    const res = await h.report(h.tokenOf(), { status: 'complete', startedAt: started });
    expect(res.status).toBe(200);
    await waitForSignal(created.body.id, 'complete');

    const heard = heardBy(created.body.id);
    // The initiator (allowed) and the owner (conditional decision that matches the run).
    expect(new Set(heard)).toEqual(new Set([people.allowed.ref, people.owner.ref]));
    // The viewer (denied) and the admin (conditional decision that excludes it) hear nothing,
    // not even through their groups, which are never addressed.
    for (const signal of h.signals) {
      for (const ref of (signal.recipients as { entityRef: string[] }).entityRef) {
        expect(ref).toMatch(/^user:/);
      }
    }
    // What each may read answers the same way.
    const asViewer = await request(h.server).get(h.api(`/runs/${created.body.id}`)).set(h.as('viewer'));
    expect(asViewer.status).toBe(404);
    const asOwner = await request(h.server).get(h.api(`/runs/${created.body.id}`)).set(h.as('owner'));
    expect(asOwner.status).toBe(200);
  });
});
