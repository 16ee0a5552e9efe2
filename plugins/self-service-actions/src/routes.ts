import { createRouteRef } from '@backstage/core-plugin-api';

/** The route of the global Self-service page. */
export const rootRouteRef = createRouteRef({ id: 'self-service-actions' });
