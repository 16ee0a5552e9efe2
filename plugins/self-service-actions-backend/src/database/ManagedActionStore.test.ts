import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseRunStore } from './DatabaseRunStore';
import { ManagedActionStore, recordStamp } from './ManagedActionStore';
import { sampleRun } from '../testing/sampleAction';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const at = new Date('2026-12-05T10:00:00.000Z');

describe.each(databases.eachSupportedId())('ManagedActionStore on %p', databaseId => {
  async function setUp() {
    const knex = await databases.init(databaseId);
    const runs = await DatabaseRunStore.create({ database: mockServices.database({ knex, migrations: { skip: false } }) });
    return { knex, runs, store: new ManagedActionStore(knex) };
  }

  it('changes an action only at the version given and while none of its runs is open, saying why not', async () => {
    const { runs, store } = await setUp();
    await store.insert('flush', { name: 'Flush' }, 'user:default/jane', at);
    await expect(store.insert('flush', { name: 'Again' }, 'user:default/jane', at)).rejects.toMatchObject({ name: 'ConflictError' });
    await expect(store.update('flush', 2, { name: 'x' }, 'user:default/jane', at)).rejects.toMatchObject({ statusCode: 412 });
    await expect(store.update('nope', 1, { name: 'x' }, 'user:default/jane', at)).rejects.toMatchObject({ name: 'NotFoundError' });
    await runs.insertRun(sampleRun({ actionId: 'flush', status: 'pending-approval', dispatchStatus: 'held' }), null);
    await expect(store.update('flush', 1, { name: 'x' }, 'user:default/jane', at)).rejects.toMatchObject({
      name: 'ConflictError',
      message: 'Actions in progress cannot be updated or deleted',
    });
    await expect(store.delete('flush')).rejects.toMatchObject({ name: 'ConflictError' });
    expect(await store.get('flush')).toMatchObject({ version: 1, definition: { name: 'Flush' } });
    expect(await store.hasRuns('flush')).toBe(true);
  });

  it('tells a run that was stored while its action changed: the stamp it read is no longer the stored one', async () => {
    const { store } = await setUp();
    const first = await store.insert('flush', { name: 'Flush' }, 'user:default/jane', at);
    expect(await store.lockedStampOf('flush')).toBe(recordStamp(first));
    const changed = await store.update('flush', 1, { name: 'Flush all' }, 'user:default/olivia', at);
    expect(await store.lockedStampOf('flush')).toBe(recordStamp(changed));
    expect(recordStamp(changed)).not.toBe(recordStamp(first));
    await store.delete('flush', 2);
    expect(await store.lockedStampOf('flush')).toBeUndefined();
  });

  if (databaseId === 'POSTGRES_16') {
    it('makes the stamp read of a stored run wait for a change under way, and see it', async () => {
      const { knex, store } = await setUp();
      const first = await store.insert('flush', { name: 'Flush' }, 'user:default/jane', at);
      // a change holding the row (as ManagedActionStore.locked does), not yet committed
      let commit = () => {};
      const holding = knex.transaction(async tx => {
        await tx('managed_actions').where({ id: 'flush' }).forUpdate().first();
        await tx('managed_actions').where({ id: 'flush' }).update({ version: 2 });
        await new Promise<void>(resolve => {
          commit = resolve;
        });
      });
      await new Promise(resolve => setTimeout(resolve, 100));
      let seen: string | undefined = 'not yet';
      const reading = store.lockedStampOf('flush').then(stamp => {
        seen = stamp;
      });
      await new Promise(resolve => setTimeout(resolve, 300));
      expect(seen).toBe('not yet');
      commit();
      await holding;
      await reading;
      expect(seen).toBe(`2@${first.createdAt.getTime()}`);
    });
  }
});
