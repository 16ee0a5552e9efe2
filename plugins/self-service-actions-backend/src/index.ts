/**
 * Backend for self-service actions.
 *
 * @packageDocumentation
 */
export { selfServiceActionsPlugin as default } from './plugin';
