import { TestDatabases } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { authHeader, Person } from '../testing/fixtures';
import { useRouterHarness } from '../testing/routerHarness';
import { startPluginBackend } from '../testing/testBackend';
import { TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });

function action(id: string, url: string) {
  return {
    id,
    name: `Managed ${id}`,
    type: 'Day2',
    icon: 'restart',
    status: 'Active',
    owner: 'group:default/platform',
    appliesTo: ['Service'],
    allowedPeople: ['group:default/team-a'],
    method: { type: 'Webhook', url },
  };
}

describe.each(databases.eachSupportedId())('owner-managed webhooks reach public addresses only, on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases, {
    selfServiceActions: (receiverUrl: string) => {
      const port = new URL(receiverUrl).port;
      return {
        managedActions: { allowedUrls: [`http://localhost:${port}/hooks/`, `http://127.0.0.1:${port}/hooks/`] },
      };
    },
  });
  const runAndRead = async (actionId: string, person: Person) => {
    const created = await h.createRun('allowed', actionId, { entityRef: 'component:default/payments', inputs: {} });
    expect(created.status).toBe(201);
    return (await request(h.server).get(h.api(`/runs/${created.body.id}`)).set(h.as(person))).body;
  };

  it('refuses a name that resolves to loopback at send time, and a loopback address; app-config actions still reach it', async () => {
    const port = new URL(h.receiverUrl).port;
    for (const [id, url] of [
      ['by-name', `http://localhost:${port}/hooks/ok`],
      ['by-address', `http://127.0.0.1:${port}/hooks/ok`],
    ]) {
      const created = await request(h.server).post(h.api('/actions')).set(h.as('owner')).send(action(id, url));
      expect(created.status).toBe(201);
      const seenByOwner = await runAndRead(id, 'owner');
      expect(seenByOwner.status).toBe('failed');
      expect(seenByOwner.error).toMatch(
        id === 'by-name'
          ? /^The webhook could not be reached: ENONPUBLICADDRESS: localhost is resolved to (127\.0\.0\.1|::1), not a public address/
          : /^The webhook could not be reached: ENONPUBLICADDRESS: 127\.0\.0\.1 is not a public address/,
      );
      // the runner does not see where the action sends
      expect((await runAndRead(id, 'allowed')).error).toBe('The webhook could not be reached');
    }
    expect(h.receiver.requests).toHaveLength(0);
    // an admin's action from app-config is trusted to reach internal hosts
    expect((await h.createRun('allowed', 'restart-service')).body.status).toBe('inprogress');
    expect(h.receiver.requests).toHaveLength(1);
  });
});

/** Two instances on one PostgreSQL database: what one saves, the other uses at once. */
describe.each(TestDatabases.create({ ids: ['POSTGRES_16'] }).eachSupportedId())(
  'owner-managed actions across two instances on %p',
  databaseId => {
    const pg = TestDatabases.create({ ids: ['POSTGRES_16'] });
    let first: Knex;
    let second: Knex;
    const servers: any[] = [];
    const stops: Array<() => Promise<void>> = [];
    const receiver = new TestReceiver().on('/hooks/ok', () => ({ status: 202 }));
    let receiverUrl = '';

    beforeAll(async () => {
      first = await pg.init(databaseId);
      second = knexFactory({ client: 'pg', connection: first.client.config.connection });
      receiverUrl = await receiver.start();
      const config = {
        admins: ['group:default/portal-admins'],
        managedActions: { allowedUrls: [`${receiverUrl}/hooks/`], allowPrivateNetworks: true },
      };
      for (const knex of [first, second]) {
        const backend = await startPluginBackend({ knex, selfServiceActions: config });
        servers.push(backend.server);
        stops.push(() => backend.stop());
      }
    });

    afterAll(async () => {
      for (const stop of stops) await stop();
      await second.destroy();
      await receiver.stop();
    });

    const call = (instance: number, person: Person) => ({
      post: (path: string) => request(servers[instance]).post(`/api/self-service-actions${path}`).set('authorization', authHeader(person)),
      put: (path: string) => request(servers[instance]).put(`/api/self-service-actions${path}`).set('authorization', authHeader(person)),
      delete: (path: string) => request(servers[instance]).delete(`/api/self-service-actions${path}`).set('authorization', authHeader(person)),
    });
    const runOn = (instance: number) =>
      call(instance, 'allowed').post('/actions/shared/runs').send({ entityRef: 'component:default/payments', inputs: {} });

    it('uses a change made on one instance in the next run on the other', async () => {
      expect((await call(0, 'owner').post('/actions').send(action('shared', `${receiverUrl}/hooks/ok?v=1`))).status).toBe(201);
      expect((await runOn(1)).body).toMatchObject({ actionVersion: 1, status: 'inprogress' });
      expect(receiver.requests.at(-1)!.query.get('v')).toBe('1');
      // the run in progress locks it on both instances
      const locked = await call(0, 'owner').put('/actions/shared').set('If-Match', '1').send(action('shared', `${receiverUrl}/hooks/ok?v=2`));
      expect(locked.status).toBe(409);
      await first('runs').update({ status: 'complete' });
      const changed = await call(0, 'owner').put('/actions/shared').set('If-Match', '1').send(action('shared', `${receiverUrl}/hooks/ok?v=2`));
      expect(changed.status).toBe(200);
      // the second instance read version 1 before; its next run is of version 2
      expect((await runOn(1)).body).toMatchObject({ actionVersion: 2 });
      expect(receiver.requests.at(-1)!.query.get('v')).toBe('2');
      await first('runs').update({ status: 'complete' });
      expect((await call(1, 'owner').delete('/actions/shared')).status).toBe(204);
      expect((await runOn(0)).status).toBe(404);
    });

    it('does not serve an instance the first of two actions created under one id (both at version 1)', async () => {
      const read = async (instance: number) =>
        (await request(servers[instance]).get('/api/self-service-actions/actions/fresh').set('authorization', authHeader('owner'))).body.method?.url;
      expect((await call(0, 'owner').post('/actions').send(action('fresh', `${receiverUrl}/hooks/ok?first`))).status).toBe(201);
      expect(await read(1)).toBe(`${receiverUrl}/hooks/ok?first`);
      // deleted before any run: its id may be taken again, and starts at version 1 again
      expect((await call(0, 'owner').delete('/actions/fresh')).status).toBe(204);
      await new Promise(resolve => setTimeout(resolve, 5));
      expect((await call(0, 'owner').post('/actions').send(action('fresh', `${receiverUrl}/hooks/ok?second`))).status).toBe(201);
      expect(await read(1)).toBe(`${receiverUrl}/hooks/ok?second`);
    });
  },
);
