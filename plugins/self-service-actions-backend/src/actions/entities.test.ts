import { Entity } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { mockCredentials } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { RequestContext } from '../access/AccessPolicy';
import { EntityReader } from './entities';

const payments: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payments', namespace: 'default' },
  spec: { type: 'service', owner: 'team-a' },
};

function as(user: string, ownershipRefs: string[] = [`user:default/${user}`]): RequestContext {
  return {
    caller: { userRef: `user:default/${user}`, ownershipRefs },
    credentials: mockCredentials.user(`user:default/${user}`),
    via: 'api',
  };
}

/** A catalog whose policy hides payments from the stranger, as the catalog's own would. */
function catalogHidingFrom(hiddenFrom: string) {
  const getEntityByRef = jest.fn(async (_ref: unknown, options: any) =>
    options.credentials.principal.userEntityRef === `user:default/${hiddenFrom}` ? undefined : payments,
  );
  return { catalog: catalogServiceMock.mock({ getEntityByRef }), getEntityByRef };
}

describe('EntityReader', () => {
  it('reads the entity as the caller sees it: hidden answers 404, once per caller and entity within the TTL', async () => {
    let now = 1_000;
    const { catalog, getEntityByRef } = catalogHidingFrom('stranger');
    const reader = new EntityReader({ catalog, ttlMs: 5_000, now: () => now });

    expect(await reader.find(as('jane'), 'Component:payments')).toBe(payments);
    expect(await reader.find(as('jane'), 'component:default/payments')).toBe(payments);
    expect(getEntityByRef).toHaveBeenCalledTimes(1);
    expect(getEntityByRef).toHaveBeenCalledWith('component:default/payments', { credentials: as('jane').credentials });

    // another caller is never answered from jane's read
    await expect(reader.find(as('stranger'), 'component:default/payments')).rejects.toThrow(NotFoundError);
    await expect(reader.find(as('stranger'), 'component:default/payments')).rejects.toThrow(
      'Entity component:default/payments not found',
    );
    expect(getEntityByRef).toHaveBeenCalledTimes(2);
    // the same user with other ownership claims is another caller for the catalog's policy
    await reader.find(as('jane', ['user:default/jane', 'group:default/team-a']), 'component:default/payments');
    expect(getEntityByRef).toHaveBeenCalledTimes(3);

    now += 5_000;
    await reader.find(as('jane'), 'component:default/payments');
    expect(getEntityByRef).toHaveBeenCalledTimes(4);
  });

  it('shares one catalog request between concurrent reads of the same caller and entity', async () => {
    const { catalog, getEntityByRef } = catalogHidingFrom('stranger');
    const reader = new EntityReader({ catalog, ttlMs: 5_000 });
    const found = await Promise.all(Array.from({ length: 20 }, () => reader.find(as('jane'), 'component:default/payments')));
    expect(found.every(entity => entity === payments)).toBe(true);
    expect(getEntityByRef).toHaveBeenCalledTimes(1);
  });

  it('never keeps a failed read', async () => {
    const getEntityByRef = jest
      .fn()
      .mockRejectedValueOnce(new Error('catalog unavailable'))
      .mockResolvedValue(payments);
    const reader = new EntityReader({ catalog: catalogServiceMock.mock({ getEntityByRef }), ttlMs: 5_000 });
    await expect(reader.find(as('jane'), 'component:default/payments')).rejects.toThrow('catalog unavailable');
    expect(await reader.find(as('jane'), 'component:default/payments')).toBe(payments);
    expect(getEntityByRef).toHaveBeenCalledTimes(2);
  });

  it('reads every time with a TTL of 0, and refuses what is not an entity ref before reading', async () => {
    const { catalog, getEntityByRef } = catalogHidingFrom('stranger');
    const reader = new EntityReader({ catalog, ttlMs: 0 });
    await reader.find(as('jane'), 'component:default/payments');
    await reader.find(as('jane'), 'component:default/payments');
    expect(getEntityByRef).toHaveBeenCalledTimes(2);
    await expect(reader.find(as('jane'), 'not a ref:')).rejects.toThrow('Invalid entity ref "not a ref:"');
    expect(getEntityByRef).toHaveBeenCalledTimes(2);
  });

  it('keeps at most maxEntries reads, dropping the oldest', async () => {
    const { catalog, getEntityByRef } = catalogHidingFrom('nobody');
    const reader = new EntityReader({ catalog, ttlMs: 60_000, maxEntries: 2 });
    for (const user of ['a', 'b', 'c']) await reader.find(as(user), 'component:default/payments');
    expect(getEntityByRef).toHaveBeenCalledTimes(3);
    await reader.find(as('c'), 'component:default/payments');
    await reader.find(as('b'), 'component:default/payments');
    expect(getEntityByRef).toHaveBeenCalledTimes(3);
    await reader.find(as('a'), 'component:default/payments');
    expect(getEntityByRef).toHaveBeenCalledTimes(4);
  });
});
