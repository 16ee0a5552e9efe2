import { ConfigReader } from '@backstage/config';
import { isJsonObject, JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { secretScrubber } from '../dispatch/scrubSecrets';
import { createAjv, FieldError, inputErrorWithFields } from './inputValidation';
import { isUrlAllowed, ManagedActionsSettings } from './managedActionsConfig';
import { ActionConfigError, readAction, ReadActionsOptions } from './readActions';
import { resolveSecretReferences } from './secretReferences';
import { ActionDefinition } from './types';

/** The fields of a definition (DESIGN §3); anything else is refused, as a typo would be lost. */
export const DEFINITION_FIELDS = [
  'id',
  'name',
  'type',
  'icon',
  'status',
  'description',
  'owner',
  'visibility',
  'resultsVisibleTo',
  'allowedPeople',
  'allowEntityOwners',
  'appliesTo',
  'userInputs',
  'uiSchema',
  'agents',
  'approval',
  'method',
];

/**
 * Whether a URL (its placeholders standing for values, which may not hold "/", "." or "..") is
 * what a URL parser makes of it: a prefix check on the text is then a check of where the
 * request goes (`https://h/team-a/../team-b` would pass `https://h/team-a` and go to team-b).
 */
function isNormalUrl(url: string): boolean {
  const candidate = url.replace(/\{\{[^}]*\}\}/g, 'x');
  try {
    return new URL(candidate).href === candidate && !/%2e/i.test(candidate);
  } catch {
    return false;
  }
}

/**
 * Where an input schema holds a regular expression (`pattern`, `patternProperties`), as field
 * paths. Ajv runs them with JavaScript's backtracking engine on the backend's event loop at every
 * run: one an owner writes could stall the backend for everyone (ReDoS). Admins' app-config
 * schemas may hold them.
 */
function regularExpressions(value: unknown, path: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => regularExpressions(item, `${path}.${index}`));
  }
  if (!isJsonObject(value)) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    if ((key === 'pattern' && typeof item === 'string') || (key === 'patternProperties' && isJsonObject(item))) {
      return [`${path}.${key}`];
    }
    // Under `properties` the keys are input names (an input may be called "pattern").
    if (key === 'properties' && isJsonObject(item)) {
      return Object.entries(item).flatMap(([name, schema]) => regularExpressions(schema, `${path}.properties.${name}`));
    }
    return regularExpressions(item, `${path}.${key}`);
  });
}

/** What an API action's definition is stored with. */
export interface ManagedActionMeta {
  version: number;
  createdBy: string;
  updatedAt: Date;
}

/**
 * Reads an owner-managed action's definition exactly as app-config actions are read, after
 * resolving its `{{ secrets.NAME }}` references, and checks where it sends against
 * `managedActions.allowedUrls`. Throws an `InputError` with `fieldErrors` by path; no message
 * holds a resolved secret.
 */
export function readManagedAction(
  definition: JsonObject,
  meta: ManagedActionMeta,
  options: Omit<ReadActionsOptions, 'ajv'> & { settings: ManagedActionsSettings },
): ActionDefinition {
  const { settings, invokers } = options;
  const problems: FieldError[] = Object.keys(definition)
    .filter(key => !DEFINITION_FIELDS.includes(key))
    .map(path => ({ path, message: 'is not a known field' }));
  problems.push(
    ...regularExpressions(definition.userInputs, 'userInputs').map(path => ({
      path,
      message:
        'is a regular expression, which actions made in the portal may not hold (they run on the backend at every run); an admin may define the action in app-config',
    })),
  );
  const { resolved, problems: referenceProblems, values: secretValues } = resolveSecretReferences(
    definition,
    settings.secrets,
  );
  problems.push(...referenceProblems);
  if (problems.length > 0) {
    throw inputErrorWithFields('Invalid action', problems);
  }
  const scrub = secretScrubber([...settings.secrets.values()].map(secret => secret.value));
  let action: ActionDefinition;
  try {
    // A fresh ajv: each version's schema is compiled once, and a schema `$id` that an earlier
    // version used would make a shared instance refuse the new one.
    action = readAction(new ConfigReader(resolved), 0, { ...options, ajv: createAjv() });
  } catch (error) {
    if (error instanceof ActionConfigError) {
      throw inputErrorWithFields('Invalid action', [{ path: error.field, message: scrub(error.problem) }]);
    }
    throw error;
  }
  const url = invokers.get(action.method).describe?.(action.method).url;
  if (url && !isNormalUrl(url)) {
    throw inputErrorWithFields('Invalid action', [
      {
        path: 'method.url',
        message: 'must be written in normal form: no "." or ".." segments (plain or encoded), backslashes, whitespace or upper-case scheme and host',
      },
    ]);
  }
  if (!url) {
    throw inputErrorWithFields('Invalid action', [
      { path: 'method.type', message: 'cannot be used by managed actions: its invoker does not say where it sends' },
    ]);
  }
  if (!settings.allowedUrls || !isUrlAllowed(url, settings.allowedUrls)) {
    throw inputErrorWithFields('Invalid action', [
      {
        path: 'method.url',
        message: `must start with one of selfServiceActions.managedActions.allowedUrls (${(settings.allowedUrls ?? []).join(', ')}), not ${scrub(url)}`,
      },
    ]);
  }
  // An owner chooses the body: signed with the portal's own secret, it could be replayed to any
  // receiver that trusts that secret. A managed webhook is signed only with the secrets it names.
  const method =
    action.method.type === 'Webhook' && !(isJsonObject(definition.method) && definition.method.signingSecret !== undefined)
      ? { ...action.method, signingSecrets: [] }
      : action.method;
  return {
    ...action,
    method,
    referencedSecrets: secretValues,
    source: 'api',
    version: meta.version,
    createdBy: meta.createdBy,
    updatedAt: meta.updatedAt.toISOString(),
    ...(settings.allowPrivateNetworks ? {} : { publicAddressesOnly: true }),
  };
}
