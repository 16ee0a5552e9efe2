import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

/** The route of the global Self-service page. */
export const rootRouteRef = createRouteRef({ id: 'self-service-actions' });

/** The page of one run, under the Self-service page (deep links, notifications). */
export const runRouteRef = createSubRouteRef({
  id: 'self-service-actions/run',
  parent: rootRouteRef,
  path: '/runs/:id',
});

/** The editor of a new owner-managed action. */
export const newActionRouteRef = createSubRouteRef({
  id: 'self-service-actions/new-action',
  parent: rootRouteRef,
  path: '/actions/new',
});

/** The editor of an owner-managed action (a read-only view for those who may not change it). */
export const editActionRouteRef = createSubRouteRef({
  id: 'self-service-actions/edit-action',
  parent: rootRouteRef,
  path: '/actions/:id/edit',
});
