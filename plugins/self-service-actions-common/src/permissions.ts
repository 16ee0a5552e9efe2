import { createPermission } from '@backstage/plugin-permission-common';

/** Resource type of self-service actions in the permission framework. */
export const SELF_SERVICE_ACTION_RESOURCE_TYPE = 'self-service-action';

/** Resource type of runs of self-service actions in the permission framework. */
export const SELF_SERVICE_RUN_RESOURCE_TYPE = 'self-service-action-run';

/** See an action (list it, read its definition). */
export const selfServiceActionReadPermission = createPermission({
  name: 'self-service-actions.action.read',
  attributes: { action: 'read' },
  resourceType: SELF_SERVICE_ACTION_RESOURCE_TYPE,
});

/** Run an action. */
export const selfServiceActionRunPermission = createPermission({
  name: 'self-service-actions.action.run',
  attributes: {},
  resourceType: SELF_SERVICE_ACTION_RESOURCE_TYPE,
});

/** Read a run (list it, open it). */
export const selfServiceRunReadPermission = createPermission({
  name: 'self-service-actions.run.read',
  attributes: { action: 'read' },
  resourceType: SELF_SERVICE_RUN_RESOURCE_TYPE,
});

/** Cancel a run. */
export const selfServiceRunCancelPermission = createPermission({
  name: 'self-service-actions.run.cancel',
  attributes: { action: 'update' },
  resourceType: SELF_SERVICE_RUN_RESOURCE_TYPE,
});

/** Approve or reject a run that waits for approval (the action's approvers and admins). */
export const selfServiceRunDecidePermission = createPermission({
  name: 'self-service-actions.run.decide',
  attributes: { action: 'update' },
  resourceType: SELF_SERVICE_RUN_RESOURCE_TYPE,
});

/**
 * Create an action through the API (`POST /actions`). Not a resource permission: the action
 * does not exist yet. The config rules (owners, `managedActions.allowedUrls`) apply too.
 */
export const selfServiceActionCreatePermission = createPermission({
  name: 'self-service-actions.action.create',
  attributes: { action: 'create' },
});

/** Change an action created through the API (`PUT /actions/:id`). */
export const selfServiceActionUpdatePermission = createPermission({
  name: 'self-service-actions.action.update',
  attributes: { action: 'update' },
  resourceType: SELF_SERVICE_ACTION_RESOURCE_TYPE,
});

/** Delete an action created through the API (`DELETE /actions/:id`). */
export const selfServiceActionDeletePermission = createPermission({
  name: 'self-service-actions.action.delete',
  attributes: { action: 'delete' },
  resourceType: SELF_SERVICE_ACTION_RESOURCE_TYPE,
});

/** Every permission of the plugin. */
export const selfServiceActionsPermissions = [
  selfServiceActionReadPermission,
  selfServiceActionRunPermission,
  selfServiceActionCreatePermission,
  selfServiceActionUpdatePermission,
  selfServiceActionDeletePermission,
  selfServiceRunReadPermission,
  selfServiceRunCancelPermission,
  selfServiceRunDecidePermission,
];
