import { BackstageCredentials, PermissionsService } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PermissionCriteria,
  QueryPermissionResponse,
} from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  createConditionTransformer,
} from '@backstage/plugin-permission-node';
import {
  selfServiceActionCreatePermission,
  selfServiceActionDeletePermission,
  selfServiceActionUpdatePermission,
  selfServiceActionReadPermission,
  selfServiceActionRunPermission,
  selfServiceRunCancelPermission,
  selfServiceRunDecidePermission,
  selfServiceRunReadPermission,
} from '@self-service-actions/plugin-self-service-actions-common';
import { ActionDefinition } from '../actions/types';
import { RunPermissionQuery, RunRecord } from '../database/RunStore';
import { actionPermissionRules, runPermissionRules } from './permissionRules';

const authorizeAction = createConditionAuthorizer(Object.values(actionPermissionRules));
const runRules = [runPermissionRules.isRunInitiator, runPermissionRules.hasActionType];
const authorizeRun = createConditionAuthorizer(runRules);
const toRunQuery = createConditionTransformer<RunPermissionQuery, typeof runRules>(runRules);

/** What a policy said about runs: none, all, or those matching a condition (as SQL and in memory). */
export interface RunPermissionFilter {
  none: boolean;
  criteria?: PermissionCriteria<RunPermissionQuery>;
  test(run: RunRecord): boolean;
}

/** What the policy says about changing actions (asked only by the routes that change them). */
export interface ManagementDecisions {
  mayCreate: boolean;
  mayUpdate(action: ActionDefinition): boolean;
  mayDelete(action: ActionDefinition): boolean;
}

/** The permission framework's answers for one caller. */
export interface PolicyDecisions {
  mayReadAction(action: ActionDefinition): boolean;
  mayRunAction(action: ActionDefinition): boolean;
  readRuns: RunPermissionFilter;
  cancelRuns: RunPermissionFilter;
  decideRuns: RunPermissionFilter;
}

function actionPredicate(decision: QueryPermissionResponse) {
  if (decision.result === AuthorizeResult.ALLOW) return () => true;
  if (decision.result === AuthorizeResult.DENY) return () => false;
  return (action: ActionDefinition) => authorizeAction(decision, action);
}

function runFilter(decision: QueryPermissionResponse): RunPermissionFilter {
  if (decision.result === AuthorizeResult.ALLOW) return { none: false, test: () => true };
  if (decision.result === AuthorizeResult.DENY) return { none: true, test: () => false };
  if (decision.result !== AuthorizeResult.CONDITIONAL) throw new Error('Unexpected permission decision');
  return {
    none: false,
    criteria: toRunQuery(decision.conditions),
    test: run => authorizeRun(decision, run),
  };
}

/**
 * Asks the permission framework. Its answers narrow the config rules and never widen them:
 * the run service requires both, so a policy's DENY wins and the default allow-all policy
 * leaves the config rules in charge. Action conditions are applied in memory (actions come
 * from config); run conditions become SQL.
 */
export class PermissionGate {
  constructor(private readonly permissions: PermissionsService) {}

  /** All five decisions in one request to the permission framework. */
  async decide(credentials: BackstageCredentials): Promise<PolicyDecisions> {
    const [readAction, runAction, readRun, cancelRun, decideRun] =
      await this.permissions.authorizeConditional(
        [
          { permission: selfServiceActionReadPermission },
          { permission: selfServiceActionRunPermission },
          { permission: selfServiceRunReadPermission },
          { permission: selfServiceRunCancelPermission },
          { permission: selfServiceRunDecidePermission },
        ],
        { credentials },
      );
    return {
      mayReadAction: actionPredicate(readAction),
      mayRunAction: actionPredicate(runAction),
      readRuns: runFilter(readRun),
      cancelRuns: runFilter(cancelRun),
      decideRuns: runFilter(decideRun),
    };
  }

  /** The create, update and delete decisions (two requests to the framework, side by side). */
  async decideManagement(credentials: BackstageCredentials): Promise<ManagementDecisions> {
    const [[create], [update, remove]] = await Promise.all([
      this.permissions.authorize([{ permission: selfServiceActionCreatePermission }], { credentials }),
      this.permissions.authorizeConditional(
        [{ permission: selfServiceActionUpdatePermission }, { permission: selfServiceActionDeletePermission }],
        { credentials },
      ),
    ]);
    return {
      mayCreate: create.result === AuthorizeResult.ALLOW,
      mayUpdate: actionPredicate(update),
      mayDelete: actionPredicate(remove),
    };
  }
}
