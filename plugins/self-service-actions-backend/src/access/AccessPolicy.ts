import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { RunInitiatedVia } from '@self-service-actions/plugin-self-service-actions-common';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { ActionDefinition } from '../actions/types';
import { RunPermissionQuery, RunRecord, RunVisibility } from '../database/RunStore';
import { ActionAccess, Caller, Decision } from './ActionAccess';
import { PermissionGate, PolicyDecisions } from './PermissionGate';
import { SignalReaders } from './SignalReaders';

/** A caller of the REST API: who they are and the credentials to read the catalog with. */
export interface RequestContext {
  caller: Caller;
  credentials: BackstageCredentials;
  /** Where the request came in: the REST API, or an agent through the actions registry. */
  via: RunInitiatedVia;
  /** The caller's rights, worked out once per request. */
  access?: Promise<CallerAccess>;
}

/** Which runs a list may show a caller: none, or a visibility and the policy's conditions. */
export type RunListAccess =
  | { none: true }
  | { none: false; visibility: RunVisibility; criteria?: PermissionCriteria<RunPermissionQuery> };

/**
 * What one caller may do. The config rules and the permission policy must both allow: a
 * policy narrows the config rules and never widens them, so its DENY wins.
 */
export class CallerAccess {
  constructor(
    readonly caller: Caller,
    private readonly rules: ActionAccess,
    private readonly policy: PolicyDecisions,
  ) {}

  /** Admins and owners manage an action: they see its configuration and all its runs. */
  manages(action: ActionDefinition): boolean {
    return this.rules.manages(this.caller, action);
  }

  canSeeAction(action: ActionDefinition, entityOwners?: string[]): boolean {
    return (
      this.policy.mayReadAction(action) &&
      this.rules.canSeeAction(this.caller, action, entityOwners)
    );
  }

  /** Whether the permission policy lets the caller run the action (whatever its status). */
  policyAllowsRun(action: ActionDefinition): boolean {
    return this.policy.mayRunAction(action);
  }

  canRunAction(action: ActionDefinition, entityOwners?: string[]): Decision {
    const decision = this.rules.canRunAction(this.caller, action, entityOwners);
    if (decision.allowed && !this.policy.mayRunAction(action)) {
      return { allowed: false, reason: 'The permission policy does not allow you to run this action' };
    }
    return decision;
  }

  canReadRun(run: RunRecord, action?: ActionDefinition): boolean {
    return this.policy.readRuns.test(run) && this.rules.canReadRun(this.caller, run, action);
  }

  canCancelRun(run: RunRecord, action?: ActionDefinition): boolean {
    return this.policy.cancelRuns.test(run) && this.rules.canCancelRun(this.caller, run, action);
  }

  /** Whether the caller may approve or reject the run (not whether it still waits). */
  mayDecide(run: RunRecord): Decision {
    const decision = this.rules.mayDecide(this.caller, run);
    if (decision.allowed && !this.policy.decideRuns.test(run)) {
      return { allowed: false, reason: 'The permission policy does not allow you to decide on this run' };
    }
    return decision;
  }

  /** Whether the caller may decide on the run now: it waits, and they have not decided. */
  canDecideNow(run: RunRecord): boolean {
    return (
      run.status === 'pending-approval' &&
      run.dispatchStatus === 'held' &&
      !run.approval?.decisions.some(decision => decision.by === this.caller.userRef) &&
      this.mayDecide(run).allowed
    );
  }

  /** Admins decide on every held run. */
  get isAdmin(): boolean {
    return this.rules.isAdmin(this.caller);
  }

  /** Which runs of these actions a run list may show (as SQL conditions). */
  runList(actions: ActionDefinition[]): RunListAccess {
    const { readRuns } = this.policy;
    if (readRuns.none) {
      return { none: true };
    }
    const refs = [this.caller.userRef, ...this.caller.ownershipRefs];
    const visibility: RunVisibility = this.rules.isAdmin(this.caller)
      ? { all: true }
      : {
          all: false,
          initiatedBy: this.caller.userRef,
          actionIds: actions
            .filter(action => this.rules.canSeeAllRuns(this.caller, action))
            .map(action => action.id),
          // Approvers read the runs held for them: the actions whose approvers they are now.
          approvedActionIds: actions
            .filter(action => action.approval?.approvers.some(ref => refs.includes(ref)))
            .map(action => action.id),
        };
    return { none: false, visibility, criteria: readRuns.criteria };
  }
}

/** Who may see and run actions and read and cancel runs: the config rules and the policy. */
export class AccessPolicy {
  constructor(
    private readonly rules: ActionAccess,
    private readonly gate: PermissionGate,
    /** Hears each caller's run.read decision, so that run change signals respect it. */
    private readonly readers?: SignalReaders,
  ) {}

  /** Normalised user and group refs of the admins. */
  get admins(): string[] {
    return this.rules.admins;
  }

  /** The caller's rights; the permission framework is asked once per request. */
  forRequest(ctx: RequestContext): Promise<CallerAccess> {
    ctx.access ??= this.gate
      .decide(ctx.credentials)
      .then(policy => {
        this.readers?.remember(ctx.caller, policy.readRuns, ctx.credentials.expiresAt);
        return new CallerAccess(ctx.caller, this.rules, policy);
      });
    return ctx.access;
  }
}
