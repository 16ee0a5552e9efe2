/**
 * Self-service actions: run actions from entity pages and follow their runs.
 *
 * @packageDocumentation
 */
export {
  selfServiceActionsPlugin,
  SelfServiceActionsPage,
  EntitySelfServiceActionsContent,
  EntitySelfServiceActionsCard,
} from './plugin';
export { isSelfServiceActionsAvailable } from './conditions';
export { selfServiceActionsApiRef } from './api/SelfServiceActionsApi';
export type {
  SelfServiceActionsApi,
  ListRunsOptions,
  ListEventDeliveriesOptions,
} from './api/SelfServiceActionsApi';
export { SelfServiceActionsClient } from './api/SelfServiceActionsClient';
export { rootRouteRef, runRouteRef } from './routes';
