/**
 * Node library for self-service actions backend modules: the `Invoker` interface and the
 * extension point that adds invokers to the backend.
 *
 * @packageDocumentation
 */
export * from './invoker';
export * from './extensions';
