import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  RUN_SIGNAL_CHANNEL,
  selfServiceActionCreatePermission,
  selfServiceActionDeletePermission,
  selfServiceActionUpdatePermission,
  selfServiceActionReadPermission,
  selfServiceActionRunPermission,
  selfServiceRunCancelPermission,
  selfServiceRunDecidePermission,
  selfServiceRunReadPermission,
} from '@self-service-actions/plugin-self-service-actions-common';
import { selfServiceActionsInvokersExtensionPoint } from '@self-service-actions/plugin-self-service-actions-node';
import { readSelfServiceActionsConfig } from './config';
import { createAjv } from './actions/inputValidation';
import { ConfigActionSource } from './actions/ConfigActionSource';
import { ActionCatalog } from './actions/ActionCatalog';
import { ManagedActionSource } from './actions/ManagedActionSource';
import { ManagedActions } from './actions/ManagedActions';
import { readManagedActionsSettings } from './actions/managedActionsConfig';
import { ManagedActionStore } from './database/ManagedActionStore';
import { EntityReader } from './actions/entities';
import { AccessPolicy } from './access/AccessPolicy';
import { ActionAccess } from './access/ActionAccess';
import { PermissionGate } from './access/PermissionGate';
import { SignalReaders } from './access/SignalReaders';
import {
  actionPermissionRules,
  actionResourceRef,
  runPermissionRules,
  runResourceRef,
} from './access/permissionRules';
import { DatabaseRunStore } from './database/DatabaseRunStore';
import { Dispatcher } from './dispatch/Dispatcher';
import { InvokerRegistry } from './invokers/InvokerRegistry';
import { WebhookInvoker } from './invokers/webhook/WebhookInvoker';
import { GitHubWorkflowInvoker } from './invokers/github/GitHubWorkflowInvoker';
import { GitLabPipelineInvoker } from './invokers/gitlab/GitLabPipelineInvoker';
import { ReportParser } from './runs/parseReport';
import { RunChangeAnnouncer } from './runs/RunChangeAnnouncer';
import { RunNotifier } from './runs/RunNotifier';
import { RunReader } from './runs/RunReader';
import { RunService } from './runs/RunService';
import { RunPreviewer } from './runs/RunPreviewer';
import { createRouter } from './service/router';
import { registerAgentActions } from './agents/agentActions';
import { startLifecycleEvents } from './events/startLifecycleEvents';

/** Run changes are gathered this long before one signal per audience announces them. */
const SIGNAL_WINDOW_MS = 250;
/** Keeps one signal's message small (about 60 bytes per run) when many runs change at once. */
const MAX_RUNS_PER_SIGNAL = 500;
/**
 * How long a user's run.read decision (from their latest request) decides their signals: a
 * Backstage user token lives an hour, and an open page reads again after every signal.
 */
const SIGNAL_READER_TTL_MS = 60 * 60 * 1000;
/** Users whose decision is remembered at most (a few hundred bytes each). */
const MAX_SIGNAL_READERS = 50_000;

/**
 * Self-service actions backend: action definitions from config, runs in the plugin's
 * database, durable dispatch through invokers, status reports and the expiry sweep.
 *
 * @public
 */
export const selfServiceActionsPlugin = createBackendPlugin({
  pluginId: 'self-service-actions',
  register(env) {
    // Modules add invokers here before the plugin starts; the built-in ones are added the
    // same way in init.
    const invokers = new InvokerRegistry();
    env.registerExtensionPoint(selfServiceActionsInvokersExtensionPoint, invokers);

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
        notifications: notificationService,
        actionsRegistry: actionsRegistryServiceRef,
        events: eventsServiceRef,
      },
      async init(deps) {
        const { config, logger, database, auth, catalog, scheduler, auditor } = deps;
        const settings = readSelfServiceActionsConfig(config);
        invokers.addInvoker(new WebhookInvoker(settings.webhook));
        // Their credentials come from Backstage's integrations.github and integrations.gitlab.
        invokers.addInvoker(GitHubWorkflowInvoker.fromConfig(config));
        invokers.addInvoker(GitLabPipelineInvoker.fromConfig(config));
        const ajv = createAjv();
        const readOptions = {
          invokers,
          defaultVisibility: settings.defaultVisibility,
          defaultApprovalExpiryMs: settings.runs.maxPendingApprovalMs,
        };
        // Invalid definitions throw here, naming the action and field, and start-up stops.
        const configActions = ConfigActionSource.fromConfig(config, { ...readOptions, ajv });
        const managedSettings = readManagedActionsSettings(config);
        // Every app has app.baseUrl; without it (a bare test backend) the link is relative.
        const appBaseUrl = config.getOptionalString('app.baseUrl') ?? '';
        const runPageUrl = (runId: string) =>
          `${appBaseUrl}/self-service-actions/runs/${encodeURIComponent(runId)}`;
        // Invalid subscribers throw here, naming the subscriber and field.
        const lifecycleEvents = startLifecycleEvents({
          config,
          events: deps.events,
          logger,
          scheduler,
          lifecycle: deps.lifecycle,
          runPageUrl,
        });
        const store = await DatabaseRunStore.create({
          database,
          logger,
          maxQueuedRequests: settings.limits.maxQueuedDatabaseRequests,
          events: lifecycleEvents.storeOptions,
        });
        const managedStore = new ManagedActionStore(await database.getClient());
        // The actions of app-config, then those their owners manage through the API.
        const source = new ManagedActionSource({
          config: configActions,
          store: managedStore,
          settings: managedSettings,
          readOptions,
          logger,
        });
        const signalReaders = new SignalReaders({
          ttlMs: SIGNAL_READER_TTL_MS,
          maxReaders: MAX_SIGNAL_READERS,
        });
        const rules = new ActionAccess({ admins: settings.admins });
        const gate = new PermissionGate(deps.permissions);
        const access = new AccessPolicy(rules, gate, signalReaders);
        const entities = new EntityReader({ catalog, ttlMs: settings.entityCacheTtlMs });
        const actions = new ActionCatalog({ source, access, entities, invokers, ajv });
        deps.permissionsRegistry.addResourceType({
          resourceRef: actionResourceRef,
          permissions: [
            selfServiceActionReadPermission,
            selfServiceActionRunPermission,
            selfServiceActionUpdatePermission,
            selfServiceActionDeletePermission,
          ],
          rules: Object.values(actionPermissionRules),
          getResources: async ids => Promise.all(ids.map(id => source.get(id))),
        });
        deps.permissionsRegistry.addPermissions([selfServiceActionCreatePermission]);
        deps.permissionsRegistry.addResourceType({
          resourceRef: runResourceRef,
          permissions: [
            selfServiceRunReadPermission,
            selfServiceRunCancelPermission,
            selfServiceRunDecidePermission,
          ],
          rules: Object.values(runPermissionRules),
          getResources: async ids => Promise.all(ids.map(id => store.getRun(id))),
        });
        const baseUrl = await deps.discovery.getExternalBaseUrl('self-service-actions');
        // With the signals backend installed, browsers following a run hear of its changes,
        // whichever replica applied them (through the events backend); otherwise they poll.
        // Only users the permission policy lets read a run hear of it (SignalReaders).
        const announcer = new RunChangeAnnouncer({
          publish: (recipients, runs) =>
            deps.signals.publish({
              recipients: { type: 'user', entityRef: recipients },
              channel: RUN_SIGNAL_CHANNEL,
              message: { runs },
            }),
          resolveAudience: audience => signalReaders.resolve(audience),
          logger,
          windowMs: SIGNAL_WINDOW_MS,
          maxRunsPerSignal: MAX_RUNS_PER_SIGNAL,
          maxQueuedChanges: settings.limits.maxQueuedRunChanges,
        });
        deps.lifecycle.addShutdownHook(() => announcer.flush());
        const reportParser = new ReportParser(ajv, settings.runs);
        const dispatcher = new Dispatcher({
          store,
          invokers,
          actions: source,
          catalog,
          auth,
          logger,
          reportParser,
          reportUrl: `${baseUrl}/report`,
          runSettings: settings.runs,
          leaseMarginMs: settings.dispatch.leaseMarginMs,
        });
        const reader = new RunReader({ store, actions, access, catalog });
        const runs = new RunService({
          store,
          actions,
          access,
          reader,
          dispatcher,
          reportParser,
          settings: settings.runs,
          notifier: new RunNotifier({ notifications: deps.notifications, logger }),
          onRunChanged: (run, audience) => announcer.announce(run, audience),
        });
        registerAgentActions({
          registry: deps.actionsRegistry,
          actions,
          runs,
          reader,
          auth,
          userInfo: deps.userInfo,
          auditor,
          runPageUrl,
        });
        logger.info(`Loaded ${(await source.list()).length} self-service action(s)`);

        await scheduler.scheduleTask({
          id: 'self-service-actions-expire-runs',
          frequency: { milliseconds: settings.sweepFrequencyMs },
          timeout: { milliseconds: settings.sweepTimeoutMs },
          initialDelay: { seconds: 5 },
          fn: async () => {
            const expired = await runs.expireRuns(new Date(), async runIds => {
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
          frequency: { milliseconds: settings.dispatch.frequencyMs },
          timeout: { minutes: 5 },
          initialDelay: { milliseconds: settings.dispatch.frequencyMs },
          fn: async () => {
            await dispatcher.recoverPending();
          },
        });

        deps.httpRouter.use(
          await createRouter({
            actions,
            runs,
            reader,
            events: await lifecycleEvents.start(await database.getClient(), rules),
            previewer: new RunPreviewer({ actions, dispatcher }),
            managed: new ManagedActions({
              store: managedStore,
              source,
              configActions,
              catalog: actions,
              access,
              rules,
              gate,
              settings: managedSettings,
              readOptions,
            }),
            httpAuth: deps.httpAuth,
            userInfo: deps.userInfo,
            auditor,
            logger,
            maxBodyBytes: settings.maxBodyBytes,
          }),
        );
        // Matched by prefix: nothing else may live under /report.
        deps.httpRouter.addAuthPolicy({ path: '/report', allow: 'unauthenticated' });
      },
    });
  },
});
