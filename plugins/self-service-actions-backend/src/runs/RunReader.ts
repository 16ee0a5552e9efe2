import { CatalogService } from '@backstage/plugin-catalog-node';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  Run,
  RunList,
  RunStatus,
  RUN_STATUSES,
} from '@self-service-actions/plugin-self-service-actions-common';
import {
  AccessPolicy,
  CallerAccess,
  RequestContext,
  RunListAccess,
} from '../access/AccessPolicy';
import { ActionCatalog } from '../actions/ActionCatalog';
import { entityOwners, normalizeEntityRef } from '../actions/entities';
import { ActionDefinition } from '../actions/types';
import { RunListOrder, RunRecord, RunStore } from '../database/RunStore';
import { toApiRun } from './toApiRun';

/** Query of the run list (`GET /runs`). */
export interface RunListQuery {
  actionId?: string;
  entityRef?: string;
  status?: string;
  mine?: boolean;
  /** Only the runs the caller may approve or reject now. */
  awaitingMyDecision?: boolean;
  /** Include test runs (left out by default). */
  includeTests?: boolean;
  limit?: number;
  cursor?: string;
  /** newest (default) or oldest first. */
  order?: string;
}

/** Owners of runs' entities by entity ref (see RunReader.present). */
export type EntityOwnersByRef = Map<string, string[] | undefined>;

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

/** Reads runs for a caller: only those they may see, as the API shows them. */
export class RunReader {
  constructor(
    private readonly options: {
      store: RunStore;
      actions: ActionCatalog;
      access: AccessPolicy;
      catalog: CatalogService;
    },
  ) {}

  async getRun(ctx: RequestContext, id: string): Promise<Run> {
    const { run, access } = await this.readableRun(ctx, id);
    const [shown] = await this.present(ctx, access, [run]);
    return shown;
  }

  async listRuns(ctx: RequestContext, query: RunListQuery): Promise<RunList> {
    if (query.status !== undefined && !RUN_STATUSES.includes(query.status as RunStatus)) {
      throw new InputError(`status must be one of ${RUN_STATUSES.join(', ')}`);
    }
    if (query.order !== undefined && query.order !== 'newest' && query.order !== 'oldest') {
      throw new InputError('order must be newest or oldest');
    }
    for (const [name, value] of Object.entries({
      actionId: query.actionId,
      entityRef: query.entityRef,
      cursor: query.cursor,
    })) {
      if (value?.includes('\0')) {
        // No run can match it, and PostgreSQL would refuse the statement.
        throw new InputError(`${name} must not contain NUL`);
      }
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new InputError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    const access = await this.options.access.forRequest(ctx);
    const actions = await this.options.actions.all();
    const allowed = access.runList(actions);
    if (allowed.none) {
      return { items: [] };
    }
    const { runs, nextCursor } = await this.options.store.listRuns({
      filter: {
        actionId: query.actionId,
        entityRef: query.entityRef ? normalizeEntityRef(query.entityRef) : undefined,
        status: query.status as RunStatus | undefined,
        initiatedBy: query.mine ? access.caller.userRef : undefined,
        includeTests: query.includeTests,
        ...(query.awaitingMyDecision ? { awaitingApproval: this.awaitingFilter(access, allowed) } : {}),
      },
      visibility: allowed.visibility,
      permissionCriteria: allowed.criteria,
      limit,
      cursor: query.cursor,
      order: query.order as RunListOrder | undefined,
    });
    const byId = new Map(actions.map(action => [action.id, action]));
    // The rest of "may decide now" (the run's own approvers, self-approval, a decision already
    // made) is in the run: such a page may be short while nextCursor says there is more.
    const shown = query.awaitingMyDecision ? runs.filter(run => access.canDecideNow(run)) : runs;
    return {
      items: await this.present(ctx, access, shown, undefined, byId, false),
      ...(nextCursor ? { nextCursor } : {}),
    };
  }

  /** Held runs an admin may decide on (all), or an approver (of the actions they approve). */
  private awaitingFilter(access: CallerAccess, allowed: RunListAccess & { none: false }) {
    if (access.isAdmin || allowed.visibility.all) {
      return {};
    }
    return { actionIds: allowed.visibility.approvedActionIds };
  }

  /** A run the caller may read, else NotFoundError (as if it did not exist). */
  async readableRun(
    ctx: RequestContext,
    id: string,
  ): Promise<{ run: RunRecord; action?: ActionDefinition; access: CallerAccess }> {
    const run = await this.options.store.getRun(id);
    const access = await this.options.access.forRequest(ctx);
    const action = run && (await this.options.actions.find(run.actionId));
    if (!run || !access.canReadRun(run, action)) {
      throw new NotFoundError(`Run ${id} not found`);
    }
    return { run, action, access };
  }

  /**
   * Runs as the API shows them to the caller. The owners of the runs' entities are looked up
   * unless given, and only where they decide whether the caller may re-run
   * (allowEntityOwners, and the caller not allowed otherwise): a catalog call per list would
   * otherwise cost every page.
   */
  async present(
    ctx: RequestContext,
    access: CallerAccess,
    runs: RunRecord[],
    owners?: EntityOwnersByRef,
    actions?: Map<string, ActionDefinition>,
    withLogs = true,
  ): Promise<Run[]> {
    const byId = actions ?? (await this.actionsOf(runs));
    const known = owners ?? (await this.ownersOf(ctx, access, runs, byId));
    return runs.map(run =>
      toApiRun(run, byId.get(run.actionId), access, known.get(run.entityRef ?? ''), withLogs),
    );
  }

  private async actionsOf(runs: RunRecord[]): Promise<Map<string, ActionDefinition>> {
    const ids = [...new Set(runs.map(run => run.actionId))];
    const found = await Promise.all(ids.map(id => this.options.actions.find(id)));
    return new Map(
      found.filter((action): action is ActionDefinition => !!action).map(a => [a.id, a]),
    );
  }

  private async ownersOf(
    ctx: RequestContext,
    access: CallerAccess,
    runs: RunRecord[],
    actions: Map<string, ActionDefinition>,
  ): Promise<EntityOwnersByRef> {
    const owners: EntityOwnersByRef = new Map();
    const refs = runs
      .filter(run => {
        const action = actions.get(run.actionId);
        return (
          !!run.entityRef && !!action?.allowEntityOwners && !access.canRunAction(action).allowed
        );
      })
      .map(run => run.entityRef);
    const unique = [...new Set(refs.filter((ref): ref is string => !!ref))];
    if (unique.length > 0) {
      const { items } = await this.options.catalog.getEntitiesByRefs(
        { entityRefs: unique, fields: ['kind', 'metadata', 'relations'] },
        { credentials: ctx.credentials },
      );
      unique.forEach((ref, index) => owners.set(ref, entityOwners(items[index])));
    }
    return owners;
  }
}
