/**
 * Types, statuses and schemas shared by the self-service actions plugins.
 *
 * @packageDocumentation
 */
export * from './json';
export * from './secretInputs';
export * from './types';
export * from './events';
export * from './reportSchema';
export * from './icons';
export * from './permissions';
export type { OpenApiComponents, OpenApiOperations, OpenApiPaths } from './schema';
