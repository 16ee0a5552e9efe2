import { Config } from '@backstage/config';
import { isJsonObject, JsonValue } from '@self-service-actions/plugin-self-service-actions-common';
import { MethodConfigError } from '@self-service-actions/plugin-self-service-actions-node';
import { readOptionalDurationMs } from '../config';

// Readers of the `method` fields that built-in invokers share; each throws naming the field.

/** A host name with an optional port, as Backstage's `integrations` name hosts. */
export const HOST_NAME = /^[A-Za-z0-9.-]+(:[0-9]+)?$/;
/** A branch or tag name: no spaces, control characters or what git refuses in refs. */
export const GIT_REF = /^[^\s\p{Cc}~^:?*[\\]+$/u;

/** Start-up stops, naming the action and `method.<field>`. */
export function fail(field: string, problem: string): never {
  throw new MethodConfigError(field, problem);
}

/**
 * A map of names to strings (headers, query parameters, workflow inputs, pipeline variables);
 * numbers and booleans, as YAML writes them unquoted, become their text.
 */
export function readStringMap(field: string, value: JsonValue | undefined): Record<string, string> {
  if (value === undefined || value === null) {
    return {};
  }
  if (!isJsonObject(value)) {
    return fail(field, 'must be a map of names to values');
  }
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      return fail(`${field}.${key}`, 'must be a string');
    }
    result[key] = String(item);
  }
  return result;
}

/** `method.timeout` in milliseconds, if the action sets it. */
export function readMethodTimeoutMs(config: Config): number | undefined {
  try {
    return readOptionalDurationMs(config, 'timeout');
  } catch (error) {
    return fail('timeout', `is not a duration: ${(error as Error).message}`);
  }
}

/** Refuses keys a method does not know (a typo would otherwise be dropped without a word). */
export function refuseUnknownKeys(raw: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      fail(key, `is not a setting of ${String(raw.type)} methods (they have ${known.join(', ')})`);
    }
  }
}

/**
 * A string that is used as written: no placeholders (it names where a request goes or what
 * code runs, which a run's inputs must not change), and it must match `pattern`.
 */
export function readFixedString(
  raw: Record<string, unknown>,
  field: string,
  options: { pattern: RegExp; expected: string; fallback?: string },
): string {
  const value = typeof raw[field] === 'number' ? String(raw[field]) : raw[field] ?? options.fallback;
  if (value === undefined || value === null || value === '') {
    return fail(field, 'is required');
  }
  if (typeof value !== 'string') {
    return fail(field, 'must be a string');
  }
  if (value.includes('{{')) {
    return fail(field, 'cannot hold placeholders: it is used as written, whatever a run is given');
  }
  if (!options.pattern.test(value) || value === '.' || value === '..') {
    return fail(field, `must be ${options.expected}, not ${JSON.stringify(value)}`);
  }
  return value;
}
