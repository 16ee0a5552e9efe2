import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import PlayCircleIcon from '@material-ui/icons/PlayCircleOutline';
import { selfServiceActionsApiRef } from './api/SelfServiceActionsApi';
import { SelfServiceActionsClient } from './api/SelfServiceActionsClient';
import { isSelfServiceActionsAvailable } from './conditions';
import { editActionRouteRef, newActionRouteRef, rootRouteRef, runRouteRef } from './routes';

const selfServiceActionsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: selfServiceActionsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new SelfServiceActionsClient({ discoveryApi, fetchApi }),
    }),
});

const selfServiceActionsPage = PageBlueprint.make({
  params: {
    path: '/self-service-actions',
    title: 'Self-service',
    icon: <PlayCircleIcon />,
    routeRef: rootRouteRef,
    loader: () =>
      import('./components/SelfServiceActionsPage/SelfServiceActionsPage').then(m => (
        <m.SelfServiceActionsPage />
      )),
  },
});

// The content filter is synchronous: it shows the tab on the kinds actions usually apply to,
// and the tab shows an empty state when none applies.
const entitySelfServiceContent = EntityContentBlueprint.make({
  params: {
    path: '/self-service',
    title: 'Self-service',
    filter: isSelfServiceActionsAvailable,
    loader: () =>
      import('./components/EntityActionsContent/EntityActionsContent').then(m => (
        <m.EntityActionsContent />
      )),
  },
});

const entitySelfServiceCard = EntityCardBlueprint.make({
  params: {
    filter: isSelfServiceActionsAvailable,
    loader: () =>
      import('./components/EntityActionsCard/EntityActionsCard').then(m => (
        <m.EntityActionsCard />
      )),
  },
});

/** The self-service actions plugin for the new frontend system. */
export default createFrontendPlugin({
  pluginId: 'self-service-actions',
  routes: { root: rootRouteRef, run: runRouteRef, newAction: newActionRouteRef, editAction: editActionRouteRef },
  extensions: [
    selfServiceActionsApi,
    selfServiceActionsPage,
    entitySelfServiceContent,
    entitySelfServiceCard,
  ],
});
