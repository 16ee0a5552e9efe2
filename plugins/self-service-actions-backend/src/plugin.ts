import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { RUN_SIGNAL_CHANNEL } from '@internal/plugin-self-service-actions-common';
import { readActions, readActionsSettings } from './actions/readActions';
import { createAjv } from './actions/inputValidation';
import { ActionAccess } from './access/ActionAccess';
import { PermissionGate } from './access/PermissionGate';
import {
  actionPermissionRules,
  actionResourceRef,
  runPermissionRules,
  runResourceRef,
} from './access/permissionRules';
import {
  selfServiceActionReadPermission,
  selfServiceActionRunPermission,
  selfServiceRunCancelPermission,
  selfServiceRunReadPermission,
} from '@internal/plugin-self-service-actions-common';
import { DatabaseRunStore } from './database/DatabaseRunStore';
import { RunService, RunSettings } from './runs/RunService';
import { RunChangeAnnouncer } from './runs/RunChangeAnnouncer';
import { createRouter } from './service/router';

/** Run changes are gathered this long before one signal per audience announces them. */
const SIGNAL_WINDOW_MS = 250;
/** Keeps one signal's message small (about 60 bytes per run) when many runs change at once. */
const MAX_RUNS_PER_SIGNAL = 500;

function readMillis(config: Config | undefined, key: string, fallback: HumanDuration): number {
  return durationToMilliseconds(
    config?.has(key) ? readDurationFromConfig(config, { key }) : fallback,
  );
}

function readRunSettings(
  config: Config,
  allowedHosts: string[] | undefined,
): RunSettings & { maxBodyBytes: number; sweepMs: number; dispatchFrequencyMs: number } {
  const root = config.getOptionalConfig('selfServiceActions');
  const positive = (key: string, fallback: number) => {
    const value = root?.getOptionalNumber(key) ?? fallback;
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`selfServiceActions.${key} must be a positive integer`);
    }
    return value;
  };
  const maxBodyBytes = positive('report.maxBodyBytes', 1024 * 1024);
  return {
    tokenTtlMs: readMillis(root, 'reportToken.ttl', { days: 1 }),
    maxPendingApprovalMs: readMillis(root, 'reportToken.maxPendingApproval', { days: 30 }),
    maxLogLinesPerStep: positive('report.maxLogLinesPerStep', 1000),
    maxSteps: positive('report.maxSteps', 100),
    maxLogLineLength: positive('report.maxLogLineLength', 10_000),
    maxResponseBytes: positive('webhook.maxResponseBytes', 1024 * 1024),
    allowedHosts,
    maxBodyBytes,
    sweepMs: readMillis(root, 'sweepFrequency', { minutes: 1 }),
    dispatchLeaseMarginMs: readMillis(root, 'dispatch.leaseMargin', { seconds: 30 }),
    dispatchFrequencyMs: readMillis(root, 'dispatch.frequency', { seconds: 10 }),
  };
}

/**
 * Self-service actions backend: action definitions from config, runs in the plugin's
 * database, webhook dispatch, status reports and the expiry sweep.
 *
 * @public
 */
export const selfServiceActionsPlugin = createBackendPlugin({
  pluginId: 'self-service-actions',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        database: coreServices.database,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        userInfo: coreServices.userInfo,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
        signals: signalsServiceRef,
      },
      async init({
        config,
        logger,
        lifecycle,
        database,
        auth,
        discovery,
        httpAuth,
        httpRouter,
        userInfo,
        permissions,
        permissionsRegistry,
        scheduler,
        auditor,
        catalog,
        signals,
      }) {
        const ajv = createAjv();
        // Invalid definitions throw here, naming the action and field, and start-up stops.
        const actions = readActions(config, ajv);
        const actionsSettings = readActionsSettings(config);
        const settings = readRunSettings(config, actionsSettings.allowedHosts);
        const store = await DatabaseRunStore.create({ database, logger });
        const actionsById = new Map(actions.map(action => [action.id, action]));
        permissionsRegistry.addResourceType({
          resourceRef: actionResourceRef,
          permissions: [selfServiceActionReadPermission, selfServiceActionRunPermission],
          rules: Object.values(actionPermissionRules),
          getResources: async ids => ids.map(id => actionsById.get(id)),
        });
        permissionsRegistry.addResourceType({
          resourceRef: runResourceRef,
          permissions: [selfServiceRunReadPermission, selfServiceRunCancelPermission],
          rules: Object.values(runPermissionRules),
          getResources: async ids => Promise.all(ids.map(id => store.getRun(id))),
        });
        const baseUrl = await discovery.getExternalBaseUrl('self-service-actions');
        // With the signals backend installed, browsers following a run hear of its changes,
        // whichever replica applied them (through the events backend); otherwise they poll.
        const announcer = new RunChangeAnnouncer({
          publish: (audience, runs) =>
            signals.publish({
              recipients: { type: 'user', entityRef: audience },
              channel: RUN_SIGNAL_CHANNEL,
              message: { runs },
            }),
          logger,
          windowMs: SIGNAL_WINDOW_MS,
          maxRunsPerSignal: MAX_RUNS_PER_SIGNAL,
        });
        lifecycle.addShutdownHook(() => announcer.flush());
        const runService = new RunService({
          store,
          actions,
          access: new ActionAccess({ admins: actionsSettings.admins }),
          gate: new PermissionGate(permissions),
          catalog,
          auth,
          ajv,
          settings,
          reportUrl: `${baseUrl}/report`,
          logger,
          onRunChanged: (run, audience) => announcer.announce(run.id, run.status, audience),
        });
        logger.info(`Loaded ${actions.length} self-service action(s)`);

        await scheduler.scheduleTask({
          id: 'self-service-actions-expire-runs',
          frequency: { milliseconds: settings.sweepMs },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 5 },
          fn: async () => {
            const expired = await runService.expireRuns(new Date(), async runIds => {
              const event = await auditor.createEvent({
                eventId: 'run-expire',
                severityLevel: 'medium',
                meta: { count: runIds.length, runIds },
              });
              await event.success();
            });
            if (expired > 0) {
              logger.info(`Terminated ${expired} run(s) whose report token expired`);
            }
          },
        });

        await scheduler.scheduleTask({
          id: 'self-service-actions-dispatch-pending',
          frequency: { milliseconds: settings.dispatchFrequencyMs },
          timeout: { minutes: 5 },
          initialDelay: { milliseconds: settings.dispatchFrequencyMs },
          fn: async () => {
            await runService.dispatchPending();
          },
        });

        httpRouter.use(
          await createRouter({
            runService,
            httpAuth,
            userInfo,
            auditor,
            maxBodyBytes: settings.maxBodyBytes,
          }),
        );
        // Matched by prefix: nothing else may live under /report.
        httpRouter.addAuthPolicy({ path: '/report', allow: 'unauthenticated' });
      },
    });
  },
});
