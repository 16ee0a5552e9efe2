/**
 * Example backend module for the self-service actions backend: a Jenkins invoker.
 *
 * @packageDocumentation
 */
export { selfServiceActionsModuleJenkinsInvoker as default } from './module';
export { JenkinsInvoker } from './JenkinsInvoker';
export type { JenkinsMethod, JenkinsServer } from './JenkinsInvoker';
