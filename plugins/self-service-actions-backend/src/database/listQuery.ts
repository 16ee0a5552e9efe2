import { InputError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { RunListOptions, RunPermissionQuery, RunRecord } from './RunStore';
import { isStorableTime } from './rows';

/** Adds permission criteria (all of, any of, not, column in values) to a query as SQL. */
export function whereCriteria(builder: Knex.QueryBuilder, criteria: PermissionCriteria<RunPermissionQuery>): void {
  if (isAndCriteria(criteria)) {
    builder.where(all => {
      for (const child of criteria.allOf) all.andWhere(b => whereCriteria(b, child));
    });
  } else if (isOrCriteria(criteria)) {
    builder.where(any => {
      for (const child of criteria.anyOf) any.orWhere(b => whereCriteria(b, child));
    });
  } else if (isNotCriteria(criteria)) {
    builder.whereNot(b => whereCriteria(b, criteria.not));
  } else {
    builder.whereIn(criteria.column, criteria.values);
  }
}

const MAX_ID_LENGTH = 64;

/** The cursor of the page after this run (newest first). */
export function encodeCursor(run: RunRecord): string {
  return Buffer.from(JSON.stringify([run.createdAt.getTime(), run.id])).toString('base64url');
}

/** The position a cursor names; InputError when it is not one of ours. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [millis, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Only what this store could have written: a run id (no NUL, which PostgreSQL cannot hold)
    // and a time both databases hold.
    if (
      typeof millis === 'number' &&
      isStorableTime(millis) &&
      typeof id === 'string' &&
      id.length <= MAX_ID_LENGTH &&
      !id.includes('\0')
    ) {
      return { createdAt: new Date(millis), id };
    }
  } catch {
    // fall through
  }
  throw new InputError('Invalid cursor');
}

/** Narrows a run list query to the filters, the caller's visibility, the policy and the cursor. */
export function whereListed(query: Knex.QueryBuilder, options: RunListOptions): void {
  const { filter, visibility, permissionCriteria, cursor, order = 'newest' } = options;
  if (filter.actionId) query.where('action_id', filter.actionId);
  if (filter.entityRef) query.where('entity_ref', filter.entityRef);
  if (filter.status) query.where('status', filter.status);
  if (filter.initiatedBy) query.where('initiated_by', filter.initiatedBy);
  // Approvers are shown every run held for them, tests included: a test waits for them too.
  if (!filter.includeTests && !filter.awaitingApproval) query.where('test', false);
  if (filter.awaitingApproval) {
    query.where({ status: 'pending-approval', dispatch_status: 'held' });
    if (filter.awaitingApproval.actionIds) {
      query.whereIn('action_id', filter.awaitingApproval.actionIds);
    }
  }
  if (!visibility.all) {
    const { initiatedBy, actionIds, approvedActionIds } = visibility;
    query.where(visible => {
      visible.where('initiated_by', initiatedBy);
      if (actionIds.length > 0) {
        visible.orWhereIn('action_id', actionIds);
      }
      if (approvedActionIds.length > 0) {
        visible.orWhere(held =>
          held.whereIn('action_id', approvedActionIds).whereNotNull('approval'),
        );
      }
    });
  }
  if (permissionCriteria) {
    query.where(allowed => whereCriteria(allowed, permissionCriteria));
  }
  if (cursor) {
    const after = decodeCursor(cursor);
    // past the cursor in the list's order: older runs, or newer ones oldest first
    const beyond = order === 'oldest' ? '>' : '<';
    query.where(next =>
      next
        .where('created_at', beyond, after.createdAt)
        .orWhere(sameTime =>
          sameTime.where('created_at', '=', after.createdAt).andWhere('id', beyond, after.id),
        ),
    );
  }
}
