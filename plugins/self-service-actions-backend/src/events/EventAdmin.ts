import { ConflictError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  CallerInfo,
  EventDelivery,
  EventDeliveryList,
  EventDeliveryStatus,
} from '@self-service-actions/plugin-self-service-actions-common';
import { RequestContext } from '../access/AccessPolicy';
import { ActionAccess } from '../access/ActionAccess';
import { DeliveryRecord, EventDeliveryStore } from '../database/EventDeliveryStore';

const DEFAULT_PAGE = 20;

/**
 * What admins (`selfServiceActions.admins`) do with event deliveries: list them and send one
 * again. Anyone else is refused before anything is read, so a 403 says nothing of what exists.
 */
export class EventAdmin {
  constructor(
    private readonly options: {
      store: EventDeliveryStore;
      rules: ActionAccess;
      /** How long a retried delivery is retried before it gives up again. */
      retryForMs: number;
    },
  ) {}

  /** Who the caller is: anyone may ask (the frontend shows admin views by it). */
  caller(ctx: RequestContext): Pick<CallerInfo, 'userEntityRef' | 'admin'> {
    return { userEntityRef: ctx.caller.userRef, admin: this.options.rules.isAdmin(ctx.caller) };
  }

  async list(
    ctx: RequestContext,
    query: { status?: EventDeliveryStatus; subscriberId?: string; limit?: number; cursor?: string },
  ): Promise<EventDeliveryList> {
    this.assertAdmin(ctx);
    const page = await this.options.store.list({ ...query, limit: query.limit ?? DEFAULT_PAGE });
    return { items: page.items.map(toApiDelivery), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  async retry(ctx: RequestContext, id: string): Promise<EventDelivery> {
    this.assertAdmin(ctx);
    const now = new Date();
    const result = await this.options.store.retry(id, now, new Date(now.getTime() + this.options.retryForMs));
    if (result === undefined) {
      throw new NotFoundError(`Event delivery ${id} not found`);
    }
    if (result === 'pending') {
      throw new ConflictError(`Event delivery ${id} is still pending; it is retried on its own`);
    }
    return toApiDelivery(result);
  }

  private assertAdmin(ctx: RequestContext): void {
    if (!this.options.rules.isAdmin(ctx.caller)) {
      throw new NotAllowedError('Only admins of self-service actions may see and retry event deliveries');
    }
  }
}

function toApiDelivery(record: DeliveryRecord): EventDelivery {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    ...record,
    createdAt: record.createdAt.toISOString(),
    nextAttemptAt: iso(record.nextAttemptAt),
    lastAttemptAt: iso(record.lastAttemptAt),
    deliveredAt: iso(record.deliveredAt),
  };
}
