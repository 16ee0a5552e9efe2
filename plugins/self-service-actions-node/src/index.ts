/**
 * Node library for self-service actions backend modules.
 *
 * @packageDocumentation
 */
export {};
