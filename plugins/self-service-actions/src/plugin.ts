import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { selfServiceActionsApiRef } from './api/SelfServiceActionsApi';
import { SelfServiceActionsClient } from './api/SelfServiceActionsClient';
import { editActionRouteRef, newActionRouteRef, rootRouteRef, runRouteRef } from './routes';

/** The self-service actions frontend plugin. */
export const selfServiceActionsPlugin = createPlugin({
  id: 'self-service-actions',
  apis: [
    createApiFactory({
      api: selfServiceActionsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new SelfServiceActionsClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    root: rootRouteRef,
    run: runRouteRef,
    newAction: newActionRouteRef,
    editAction: editActionRouteRef,
  },
});

/** The global Self-service page (route it at `/self-service-actions`). */
export const SelfServiceActionsPage = selfServiceActionsPlugin.provide(
  createRoutableExtension({
    name: 'SelfServiceActionsPage',
    component: () =>
      import('./components/SelfServiceActionsPage/SelfServiceActionsPage').then(
        m => m.SelfServiceActionsPage,
      ),
    mountPoint: rootRouteRef,
  }),
);

/** Entity tab: the actions that apply to the entity and its runs. */
export const EntitySelfServiceActionsContent = selfServiceActionsPlugin.provide(
  createComponentExtension({
    name: 'EntitySelfServiceActionsContent',
    component: {
      lazy: () =>
        import('./components/EntityActionsContent/EntityActionsContent').then(
          m => m.EntityActionsContent,
        ),
    },
  }),
);

/** Entity overview card: the actions that apply to the entity. */
export const EntitySelfServiceActionsCard = selfServiceActionsPlugin.provide(
  createComponentExtension({
    name: 'EntitySelfServiceActionsCard',
    component: {
      lazy: () =>
        import('./components/EntityActionsCard/EntityActionsCard').then(m => m.EntityActionsCard),
    },
  }),
);
