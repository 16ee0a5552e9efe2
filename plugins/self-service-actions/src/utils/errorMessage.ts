import { ResponseError } from '@backstage/errors';

/**
 * What went wrong, in the backend's own words when it answered (its error body's message,
 * e.g. "Only the action owners and allowed people may run this action"), else the error's.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof ResponseError) {
    return error.body.error.message || `${error.response.status} ${error.response.statusText}`;
  }
  // not `instanceof Error`: an error from another realm (a fetch polyfill, an iframe) is one too
  if (typeof error === 'object' && error !== null && typeof (error as Error).message === 'string') {
    return (error as Error).message;
  }
  return String(error);
}
