import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { selfServiceActionsInvokersExtensionPoint } from '@self-service-actions/plugin-self-service-actions-node';
import { JenkinsInvoker } from './JenkinsInvoker';

/**
 * Adds `method.type: Jenkins` to the self-service actions backend. Reads the server from
 * `jenkins.baseUrl`, `jenkins.username` and `jenkins.apiKey` (the keys Backstage's Jenkins
 * plugin uses); a missing key stops start-up with its name.
 */
export const selfServiceActionsModuleJenkinsInvoker = createBackendModule({
  pluginId: 'self-service-actions',
  moduleId: 'jenkins-invoker',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        invokers: selfServiceActionsInvokersExtensionPoint,
      },
      async init({ config, invokers }) {
        invokers.addInvoker(
          new JenkinsInvoker({
            baseUrl: config.getString('jenkins.baseUrl'),
            username: config.getString('jenkins.username'),
            apiKey: config.getString('jenkins.apiKey'),
          }),
        );
      },
    });
  },
});
