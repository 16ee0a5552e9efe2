import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  ACTION_TYPES,
  SELF_SERVICE_ACTION_RESOURCE_TYPE,
  SELF_SERVICE_RUN_RESOURCE_TYPE,
} from '@self-service-actions/plugin-self-service-actions-common';
import { z } from 'zod';
import { ActionDefinition } from '../actions/types';
import { RunPermissionQuery, RunRecord } from '../database/RunStore';

/** Conditions on actions are applied in memory (actions come from config); this is their query form. */
export type ActionQuery = { property: 'owner' | 'allowedPeople' | 'type'; values: string[] };

/** The action resource type. */
export const actionResourceRef = createPermissionResourceRef<ActionDefinition, ActionQuery>().with({
  pluginId: 'self-service-actions',
  resourceType: SELF_SERVICE_ACTION_RESOURCE_TYPE,
});

/** The run resource type. */
export const runResourceRef = createPermissionResourceRef<RunRecord, RunPermissionQuery>().with({
  pluginId: 'self-service-actions',
  resourceType: SELF_SERVICE_RUN_RESOURCE_TYPE,
});

// Rules see no caller: policies pass the user's claims (ownership refs) as parameters, as the
// catalog's isEntityOwner does.
const claimsSchema = z.object({
  claims: z.array(z.string()).describe('User and group refs of the caller (their ownership refs)'),
});
const typesSchema = z.object({
  types: z.array(z.enum(ACTION_TYPES as [string, ...string[]])).describe('Action types'),
});

const isActionOwner = createPermissionRule({
  name: 'IS_ACTION_OWNER',
  description: 'Allow actions owned by one of the given users or groups',
  resourceRef: actionResourceRef,
  paramsSchema: claimsSchema,
  apply: (action, { claims }) => claims.includes(action.owner),
  toQuery: ({ claims }) => ({ property: 'owner', values: claims }),
});

const isAllowedToRun = createPermissionRule({
  name: 'IS_ALLOWED_TO_RUN',
  description: "Allow actions whose allowedPeople include one of the given users or groups (or '*')",
  resourceRef: actionResourceRef,
  paramsSchema: claimsSchema,
  apply: (action, { claims }) =>
    action.allowedPeople.includes('*') || claims.some(claim => action.allowedPeople.includes(claim)),
  toQuery: ({ claims }) => ({ property: 'allowedPeople', values: [...claims, '*'] }),
});

const hasActionType = createPermissionRule({
  name: 'HAS_ACTION_TYPE',
  description: 'Allow actions of the given types (Day2, Create, Delete)',
  resourceRef: actionResourceRef,
  paramsSchema: typesSchema,
  apply: (action, { types }) => types.includes(action.type),
  toQuery: ({ types }) => ({ property: 'type', values: types }),
});

const isRunInitiator = createPermissionRule({
  name: 'IS_RUN_INITIATOR',
  description: 'Allow runs started by one of the given users',
  resourceRef: runResourceRef,
  paramsSchema: claimsSchema,
  apply: (run, { claims }) => claims.includes(run.initiatedBy),
  toQuery: ({ claims }) => ({ column: 'initiated_by', values: claims }),
});

const runHasActionType = createPermissionRule({
  name: 'HAS_ACTION_TYPE',
  description: 'Allow runs of actions of the given types (Day2, Create, Delete)',
  resourceRef: runResourceRef,
  paramsSchema: typesSchema,
  apply: (run, { types }) => types.includes(run.actionType),
  toQuery: ({ types }) => ({ column: 'action_type', values: types }),
});

/** Rules on actions. */
export const actionPermissionRules = { isActionOwner, isAllowedToRun, hasActionType };

/** Rules on runs. */
export const runPermissionRules = { isRunInitiator, hasActionType: runHasActionType };

/**
 * Condition helpers for policy authors, e.g.
 * `createActionConditionalDecision(permission, actionConditions.hasActionType({ types: ['Day2'] }))`.
 */
export const {
  conditions: actionConditions,
  createConditionalDecision: createActionConditionalDecision,
} = createConditionExports({ resourceRef: actionResourceRef, rules: actionPermissionRules });

/** Condition helpers on runs for policy authors. */
export const {
  conditions: runConditions,
  createConditionalDecision: createRunConditionalDecision,
} = createConditionExports({ resourceRef: runResourceRef, rules: runPermissionRules });
