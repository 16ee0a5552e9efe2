/**
 * The types of the HTTP contract, generated from the backend's src/schema/openapi.yaml
 * (`npm run generate:openapi`): request and answer shapes for the client and the backend.
 */
import type { components, operations, paths } from './openapi.generated';

/** Every route of the REST API with its parameters, body and answers, by path and method. */
export type OpenApiPaths = paths;
/** The schemas, responses and parameters the REST API's routes share. */
export type OpenApiComponents = components;
/** Every route of the REST API, by operation id. */
export type OpenApiOperations = operations;
