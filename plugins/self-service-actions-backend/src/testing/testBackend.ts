import { BackendFeature, ServiceFactory } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { JsonObject } from '@backstage/types';
import { Knex } from 'knex';
import { AuthorizeResult, PolicyDecision } from '@backstage/plugin-permission-common';
import { selfServiceActionsPlugin } from '../plugin';
import { entities, getUserInfo } from './fixtures';

/**
 * Starts the plugin the way a Backstage backend runs it (routes, auth barrier, error handler)
 * on a real database, with the test people and catalog. Only what lies outside the project is
 * mocked: identity, catalog, scheduler, and optionally the permission policy and auditor.
 */
export async function startPluginBackend(options: {
  knex: Knex;
  selfServiceActions: JsonObject;
  /** Backstage's `integrations` (GitHub and GitLab credentials), when a test needs them. */
  integrations?: JsonObject;
  permissions?: ServiceFactory;
  auditor?: ReturnType<typeof mockServices.auditor.mock>;
  /** Services or modules to add (or override with). */
  extraFeatures?: BackendFeature[];
}) {
  const scheduler = mockServices.scheduler.mock();
  const features: BackendFeature[] = [
    mockServices.rootConfig.factory({
      data: {
        selfServiceActions: options.selfServiceActions,
        ...(options.integrations ? { integrations: options.integrations } : {}),
      },
    }),
    mockServices.database.factory({ knex: options.knex }),
    mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() }),
    mockServices.userInfo.mock({ getUserInfo }).factory,
    catalogServiceMock.factory({ entities }),
    scheduler.factory,
  ];
  if (options.permissions) features.push(options.permissions);
  if (options.auditor) features.push(options.auditor.factory);
  features.push(...(options.extraFeatures ?? []));
  const backend = await startTestBackend({ features: [selfServiceActionsPlugin, ...features] });
  return { server: backend.server, scheduler, stop: () => backend.stop() };
}

/**
 * A permission service whose decisions come from `policy` (asked at each request, so a test
 * may change it). A plain authorize call gets ALLOW or DENY as the policy says (a conditional
 * answer there is a DENY, as the framework has no conditions without a resource).
 */
export function policyPermissions(policy: (permissionName: string) => PolicyDecision) {
  return mockServices.permissions.mock({
    authorizeConditional: async requests => requests.map(r => policy(r.permission.name)) as any,
    authorize: async requests =>
      requests.map(r => {
        const decision = policy(r.permission.name);
        return { result: decision.result === AuthorizeResult.ALLOW ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
      }),
  }).factory;
}
