import {
  isJsonObject,
  JsonObject,
  JsonValue,
} from '@self-service-actions/plugin-self-service-actions-common';
import { normalizePrincipalRef } from '../access/principalRefs';
import { FieldError } from './inputValidation';
import { ConfigSecret } from './managedActionsConfig';

const REFERENCE = /\{\{\s*secrets\.([^\s}]*)\s*\}\}/g;
const WHOLE_REFERENCE = /^\{\{\s*secrets\.([^\s}]*)\s*\}\}$/;
/** A header value: one reference, after at most a scheme word (`Bearer `, `Token `). */
const HEADER_VALUE = /^(?:[A-Za-z][A-Za-z0-9._-]* )?\{\{\s*secrets\.([^\s}]*)\s*\}\}$/;

/**
 * Resolves the `{{ secrets.NAME }}` references of an owner-managed action's definition from
 * `selfServiceActions.secrets`, returning a copy that holds the values (kept in memory only)
 * and the problems, each by path. Header values are secret (DESIGN §3), so each must name a
 * secret: a credential typed into a header would otherwise be stored in the database and shown
 * in the editor. A signing secret must be references only. A reference anywhere else (the URL,
 * the payload) would send a secret where it could be read back: refused.
 */
export function resolveSecretReferences(
  definition: JsonObject,
  secrets: ReadonlyMap<string, ConfigSecret>,
): { resolved: JsonObject; problems: FieldError[]; values: string[] } {
  const problems: FieldError[] = [];
  const values: string[] = [];
  const resolved = structuredClone(definition);
  const method = isJsonObject(resolved.method) ? resolved.method : undefined;
  let owner: string | undefined;
  try {
    owner = typeof definition.owner === 'string' ? normalizePrincipalRef(definition.owner) : undefined;
  } catch {
    owner = undefined; // the owner field gets its own problem
  }

  // A secret given `owners` is for their actions only. Unknown and not allowed read the same,
  // so that the answer does not tell which secrets exist.
  const lookUp = (path: string, name: string): string => {
    const secret = secrets.get(name);
    if (!secret || (secret.owners && (!owner || !secret.owners.includes(owner)))) {
      problems.push({
        path,
        message: `names ${JSON.stringify(name)}, which is not a secret that actions owned by ${owner ?? 'this owner'} may use (selfServiceActions.secrets)`,
      });
      return '';
    }
    values.push(secret.value);
    return secret.value;
  };

  const allowed = new Set<string>();
  if (method && isJsonObject(method.headers)) {
    const headers = method.headers;
    for (const [name, value] of Object.entries(headers)) {
      const path = `method.headers.${name}`;
      allowed.add(path);
      if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
        problems.push({
          path,
          message:
            'must name a config secret as {{ secrets.NAME }}, after at most a scheme word such as "Bearer ": header values are secret and are not stored',
        });
        continue;
      }
      headers[name] = value.replace(REFERENCE, (_whole, secretName: string) => lookUp(path, secretName));
    }
  }
  if (method && method.signingSecret !== undefined) {
    const list = Array.isArray(method.signingSecret) ? method.signingSecret : [method.signingSecret];
    const signing = list.map((item, index) => {
      const path = Array.isArray(method.signingSecret) ? `method.signingSecret.${index}` : 'method.signingSecret';
      allowed.add(path);
      const reference = typeof item === 'string' ? WHOLE_REFERENCE.exec(item) : null;
      if (!reference) {
        problems.push({ path, message: 'must be a config secret named as {{ secrets.NAME }}' });
        return '';
      }
      return lookUp(path, reference[1]);
    });
    method.signingSecret = Array.isArray(method.signingSecret) ? signing : signing[0];
  }
  for (const path of referencesOutside(definition, allowed)) {
    problems.push({ path, message: 'may not name a secret: only header values and signingSecret may' });
  }
  return { resolved, problems, values };
}

/** Paths of strings holding a reference, other than those allowed. */
function referencesOutside(value: JsonValue, allowed: Set<string>, path = ''): string[] {
  if (typeof value === 'string') {
    return !allowed.has(path) && value.match(REFERENCE) ? [path] : [];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => referencesOutside(item, allowed, join(path, String(index))));
  }
  if (isJsonObject(value)) {
    return Object.entries(value).flatMap(([key, item]) => referencesOutside(item, allowed, join(path, key)));
  }
  return [];
}

function join(path: string, key: string) {
  return path ? `${path}.${key}` : key;
}
