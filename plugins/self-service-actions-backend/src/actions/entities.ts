import { Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { RequestContext } from '../access/AccessPolicy';

/** The normalised form of an entity ref; InputError when it is not one. */
export function normalizeEntityRef(ref: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(ref));
  } catch {
    throw new InputError(`Invalid entity ref "${ref}"`);
  }
}

/** The entity's owners, from its `ownedBy` relations (normalised refs). */
export function entityOwners(entity: Entity | undefined): string[] | undefined {
  return entity?.relations
    ?.filter(relation => relation.type === 'ownedBy')
    .map(relation => relation.targetRef);
}

/** The entity as the caller may see it in the catalog; NotFoundError otherwise. */
export async function findEntity(
  catalog: CatalogService,
  ctx: RequestContext,
  ref: string,
): Promise<Entity> {
  const normalized = normalizeEntityRef(ref);
  const entity = await catalog.getEntityByRef(normalized, { credentials: ctx.credentials });
  if (!entity) {
    throw new NotFoundError(`Entity ${normalized} not found`);
  }
  return entity;
}
