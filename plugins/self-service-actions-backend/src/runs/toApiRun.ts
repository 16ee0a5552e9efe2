import {
  isFinalStatus,
  JsonObject,
  Run,
  stripSecretInputs,
} from '@self-service-actions/plugin-self-service-actions-common';
import { CallerAccess } from '../access/AccessPolicy';
import { ActionDefinition } from '../actions/types';
import { RunRecord } from '../database/RunStore';

function toIso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/**
 * A run's stored inputs without any value its action marks secret, by the schema the run was
 * made with and the action's current one: inputs are stripped before storing, this also keeps
 * runs stored before a schema said `secret: true` from showing or re-sending the value.
 */
export function stripRunSecrets(run: RunRecord, action: ActionDefinition | undefined): JsonObject {
  const stripped = stripSecretInputs(run.actionSnapshot?.userInputs, run.inputs);
  return action ? stripSecretInputs(action.userInputs, stripped) : stripped;
}

/**
 * A run as the API shows it to a caller, with what the caller may do with it. `action` is the
 * run's action as it is now (undefined once removed); `entityOwners` the owners of the run's
 * entity, when they decide whether the caller may re-run.
 */
export function toApiRun(
  run: RunRecord,
  action: ActionDefinition | undefined,
  access: CallerAccess,
  entityOwners?: string[],
  /** Lists leave the log lines out. */
  withLogs = true,
): Run {
  return {
    id: run.id,
    actionId: run.actionId,
    actionName: run.actionName,
    actionType: run.actionType,
    entityRef: run.entityRef,
    initiatedBy: run.initiatedBy,
    status: run.status,
    message: run.message,
    messages: run.messages.map(message => ({ text: message.text, at: message.at.toISOString() })),
    // A transport error's text names addresses and ports: only for those who see the URL.
    error:
      run.error && run.errorDetail && action && access.manages(action)
        ? `${run.error}: ${run.errorDetail}`
        : run.error,
    startedAt: toIso(run.startedAt),
    completedAt: toIso(run.completedAt),
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    inputs: stripRunSecrets(run, action),
    steps: run.steps.map(step => ({
      title: step.title,
      status: step.status,
      startedAt: step.startedAt.toISOString(),
      completedAt: toIso(step.completedAt),
      ...(withLogs ? { logs: step.logs } : {}),
      logCount: step.logCount ?? step.logs.length,
      ...(step.droppedLogLines ? { droppedLogLines: step.droppedLogLines } : {}),
    })),
    links: run.links,
    rerunOf: run.rerunOf,
    canCancel: !isFinalStatus(run.status) && access.canCancelRun(run, action),
    canRerun:
      !!action && action.status === 'Active' && access.canRunAction(action, entityOwners).allowed,
    approval: run.approval
      ? {
          required: run.approval.required,
          approvers: run.approval.approvers,
          allowSelfApproval: run.approval.allowSelfApproval,
          // While held, the deadline of the approval; afterwards the run's own.
          expiresAt: run.expiresAt.toISOString(),
          decisions: run.approval.decisions.map(decision => ({
            ...decision,
            at: decision.at.toISOString(),
          })),
          canDecide: access.canDecideNow(run),
        }
      : null,
    actionVersion: run.actionSnapshot.version,
    test: run.test,
    initiatedVia: run.initiatedVia,
  };
}
