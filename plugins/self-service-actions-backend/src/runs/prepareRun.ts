import { InputError, NotAllowedError } from '@backstage/errors';
import { isJsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { RequestContext } from '../access/AccessPolicy';
import { ActionCatalog } from '../actions/ActionCatalog';
import { inputErrorWithFields } from '../actions/inputValidation';

/** Why a Delete action (or one that says so) refuses runs by agents. */
export const AGENTS_NOT_ALLOWED = 'This action does not allow runs by agents (agents.allowed)';

/** Refuses a body with keys the route does not know (400 naming each). */
export function refuseUnknownKeys(body: object, known: string[]): void {
  const unknownKeys = Object.keys(body).filter(key => !known.includes(key));
  if (unknownKeys.length > 0) {
    throw inputErrorWithFields(
      'Invalid request',
      unknownKeys.map(path => ({ path, message: 'is not a known field' })),
    );
  }
}

/**
 * What creating a run checks before anything is built, in its order: the body, the action and
 * entity the caller may see and run (404, 403, 409 for a Draft), then the inputs (400). A
 * preview or a test-fire passes `managersOnly`, the reason it refuses those who do not manage
 * the action (403) instead of the run rules; a Draft is allowed then.
 */
export async function prepareRun(
  actions: ActionCatalog,
  ctx: RequestContext,
  actionId: string,
  body: unknown,
  managersOnly?: string,
) {
  if (!isJsonObject(body)) {
    throw new InputError('The request body must be a JSON object');
  }
  refuseUnknownKeys(body, ['entityRef', 'inputs']);
  const { entityRef, inputs = {} } = body;
  if (entityRef !== undefined && entityRef !== null && typeof entityRef !== 'string') {
    throw new InputError('entityRef must be a string');
  }
  const runnable = await actions.findRunnable(ctx, actionId, entityRef || undefined, managersOnly);
  if (ctx.via === 'actions-registry' && !runnable.action.agentsAllowed) {
    throw new NotAllowedError(AGENTS_NOT_ALLOWED);
  }
  if (!isJsonObject(inputs)) {
    throw new InputError('inputs must be an object');
  }
  return { runnable, validInputs: actions.validateInputs(runnable.action, inputs) };
}
