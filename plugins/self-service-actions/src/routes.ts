import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

/** The route of the global Self-service page. */
export const rootRouteRef = createRouteRef({ id: 'self-service-actions' });

/** The page of one run, under the Self-service page (deep links, notifications). */
export const runRouteRef = createSubRouteRef({
  id: 'self-service-actions/run',
  parent: rootRouteRef,
  path: '/runs/:id',
});
