import { Config } from '@backstage/config';
import { isJsonObject, JsonValue } from '@self-service-actions/plugin-self-service-actions-common';
import { MethodConfigError } from '@self-service-actions/plugin-self-service-actions-node';
import { readOptionalDurationMs } from '../config';

// Readers of the `method` fields that built-in invokers share; each throws naming the field.

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
