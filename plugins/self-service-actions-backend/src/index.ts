/**
 * Backend for self-service actions.
 *
 * @packageDocumentation
 */
export { selfServiceActionsPlugin as default } from './plugin';
export {
  actionConditions,
  createActionConditionalDecision,
  runConditions,
  createRunConditionalDecision,
  actionPermissionRules,
  runPermissionRules,
} from './access/permissionRules';
