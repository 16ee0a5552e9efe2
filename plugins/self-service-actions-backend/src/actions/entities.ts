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

/** How many callers' reads are kept at most; the oldest go first. */
export const ENTITY_CACHE_MAX_ENTRIES = 1000;

/**
 * Reads entities from the catalog as the caller sees them: an entity the caller may not see is
 * not found, exactly as the catalog's permission policy decides.
 *
 * Each read is a request to the catalog on the caller's behalf (a token signed for it, verified
 * by the catalog, the catalog's own permission check, the entity serialised), which costs an
 * entity-page run twice the CPU of the run itself. A caller's read is therefore kept for
 * `ttlMs` (default 5 s, 0 turns it off), per caller and entity, and concurrent reads of the same
 * share one request: opening an entity page, listing its actions and running one reads the
 * entity once. What the cache can delay is bounded by the TTL, well inside the catalog's own
 * delay (an entity's ownership or a user's groups change only after the catalog processes
 * them, every minutes). Failed reads are never kept.
 */
export class EntityReader {
  private readonly cache = new Map<string, { expiresAt: number; entity: Promise<Entity | undefined> }>();

  constructor(
    private readonly options: {
      catalog: CatalogService;
      ttlMs: number;
      maxEntries?: number;
      now?: () => number;
    },
  ) {}

  /** The entity as the caller may see it in the catalog; NotFoundError otherwise. */
  async find(ctx: RequestContext, ref: string): Promise<Entity> {
    const normalized = normalizeEntityRef(ref);
    const entity = await this.read(ctx, normalized);
    if (!entity) {
      throw new NotFoundError(`Entity ${normalized} not found`);
    }
    return entity;
  }

  private read(ctx: RequestContext, normalized: string): Promise<Entity | undefined> {
    const { catalog, ttlMs, maxEntries = ENTITY_CACHE_MAX_ENTRIES, now = Date.now } = this.options;
    const fetchEntity = () => catalog.getEntityByRef(normalized, { credentials: ctx.credentials });
    if (ttlMs <= 0) {
      return fetchEntity();
    }
    // The caller's identity as the catalog's policy sees it: who, and whom they act for.
    const key = `${[ctx.caller.userRef, ...ctx.caller.ownershipRefs].join(' ')}\n${normalized}`;
    const at = now();
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > at) {
      return cached.entity;
    }
    this.cache.delete(key);
    const entity = fetchEntity();
    this.cache.set(key, { expiresAt: at + ttlMs, entity });
    entity.catch(() => {
      if (this.cache.get(key)?.entity === entity) this.cache.delete(key);
    });
    // Map keeps insertion order: the first keys are the oldest.
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= maxEntries) break;
      this.cache.delete(oldest);
    }
    return entity;
  }
}
