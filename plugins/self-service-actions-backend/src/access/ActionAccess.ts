import { ActionDefinition } from '../actions/types';
import { RunRecord } from '../database/RunStore';

/** Who is asking: their user ref and the refs they own through (themselves and their groups). */
export interface Caller {
  userRef: string;
  ownershipRefs: string[];
}

/** A yes or no with the reason a person can read. */
export interface Decision {
  allowed: boolean;
  reason?: string;
}

function intersects(refs: string[], candidates: string[]): boolean {
  return candidates.some(candidate => refs.includes(candidate));
}

/**
 * The access rules of the config: admins, owners, visibility, allowedPeople,
 * allowEntityOwners and resultsVisibleTo. `entityOwners` are the normalised owner refs of the
 * target entity, when there is one.
 */
export class ActionAccess {
  /** Normalised user and group refs of the admins. */
  readonly admins: string[];

  constructor(options: { admins: string[] }) {
    this.admins = options.admins;
  }

  private refs(caller: Caller): string[] {
    return [caller.userRef, ...caller.ownershipRefs];
  }

  isAdmin(caller: Caller): boolean {
    return intersects(this.refs(caller), this.admins);
  }

  isOwner(caller: Caller, action: Pick<ActionDefinition, 'owner'>): boolean {
    return this.refs(caller).includes(action.owner);
  }

  /** Admins and owners manage an action: they see its configuration and all its runs. */
  manages(caller: Caller, action: ActionDefinition): boolean {
    return this.isAdmin(caller) || this.isOwner(caller, action);
  }

  private ownsEntity(caller: Caller, action: ActionDefinition, entityOwners?: string[]) {
    return (
      action.allowEntityOwners &&
      !!entityOwners &&
      intersects(this.refs(caller), entityOwners)
    );
  }

  canSeeAction(caller: Caller, action: ActionDefinition, entityOwners?: string[]): boolean {
    if (this.manages(caller, action)) {
      return true;
    }
    if (action.status === 'Draft') {
      return false;
    }
    if (action.visibility === 'public') {
      return true;
    }
    const refs = this.refs(caller);
    return (
      action.allowedPeople.includes('*') ||
      intersects(refs, action.allowedPeople) ||
      intersects(refs, action.resultsVisibleTo) ||
      this.ownsEntity(caller, action, entityOwners)
    );
  }

  canRunAction(caller: Caller, action: ActionDefinition, entityOwners?: string[]): Decision {
    if (action.status === 'Draft') {
      return { allowed: false, reason: 'This action is a Draft and cannot be run' };
    }
    if (
      this.manages(caller, action) ||
      action.allowedPeople.includes('*') ||
      intersects(this.refs(caller), action.allowedPeople) ||
      this.ownsEntity(caller, action, entityOwners)
    ) {
      return { allowed: true };
    }
    return {
      allowed: false,
      reason: action.allowEntityOwners
        ? 'Only the action owners, allowed people and owners of this entity may run this action'
        : 'Only the action owners and allowed people may run this action',
    };
  }

  /** Owners, admins and `resultsVisibleTo` see every run of the action. */
  canSeeAllRuns(caller: Caller, action: ActionDefinition): boolean {
    return this.manages(caller, action) || intersects(this.refs(caller), action.resultsVisibleTo);
  }

  /**
   * A run is readable by its initiator, by those who see all runs of its action, and by the
   * approvers it was held for. Once the action is gone from config, only the initiator,
   * admins and approvers.
   */
  canReadRun(caller: Caller, run: RunRecord, action?: ActionDefinition): boolean {
    if (run.initiatedBy === caller.userRef || this.isAdmin(caller) || this.approves(caller, run)) {
      return true;
    }
    return !!action && this.canSeeAllRuns(caller, action);
  }

  /** One of the approvers the run was held for (through the user or one of their groups). */
  approves(caller: Caller, run: Pick<RunRecord, 'approval'>): boolean {
    return !!run.approval && intersects(this.refs(caller), run.approval.approvers);
  }

  /**
   * Whether the caller may approve or reject the run at all: its approvers and admins, but not
   * its initiator unless the action allows self-approval. (Whether the run still waits, and
   * whether the caller already decided, is the lifecycle's to say.)
   */
  mayDecide(caller: Caller, run: RunRecord): Decision {
    if (!run.approval) {
      return { allowed: false, reason: 'This run needs no approval' };
    }
    if (!this.isAdmin(caller) && !this.approves(caller, run)) {
      return { allowed: false, reason: 'Only the approvers of this action and admins may decide' };
    }
    if (run.initiatedBy === caller.userRef && !run.approval.allowSelfApproval) {
      return { allowed: false, reason: 'You may not decide on your own run' };
    }
    return { allowed: true };
  }

  /** The initiator, owners and admins may cancel; results viewers may only look. */
  canCancelRun(caller: Caller, run: RunRecord, action?: ActionDefinition): boolean {
    return (
      run.initiatedBy === caller.userRef ||
      this.isAdmin(caller) ||
      (!!action && this.isOwner(caller, action))
    );
  }
}
