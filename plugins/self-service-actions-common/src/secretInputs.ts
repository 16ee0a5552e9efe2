import { isJsonObject, JsonObject, JsonValue } from './json';

/*
 * Where `secret: true` stands in an action's input schema, and what that means for a value.
 * The backend strips secret values before storing or returning a run and scrubs them out of what
 * a receiver answers; the frontend renders them as password fields and masks them. Both must
 * agree on the walk, so it lives here.
 *
 * Conservative by design: every subschema that may apply to a value (allOf, anyOf, oneOf, if,
 * then, else, dependencies, dependentSchemas) is taken as applying, so a value at a location
 * that is secret in ANY branch is secret. The constructs that cannot be walked this way (`not`,
 * `contains`, tuples, `$ref`...) are refused by the backend at start-up when they hold a secret.
 */

/** Keywords holding a list of subschemas that apply to the same value. */
const SAME_VALUE_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;
/** Keywords holding one subschema that may apply to the same value. */
const SAME_VALUE_SINGLE = ['if', 'then', 'else'] as const;
/** Keywords holding subschemas by property name that apply to the whole object when it has that key. */
const SAME_VALUE_MAPS = ['dependencies', 'dependentSchemas'] as const;

/**
 * Every schema that may apply to a value where `schema` stands, `schema` first: the schema
 * and, recursively, its allOf/anyOf/oneOf branches, if/then/else and schema dependencies.
 *
 * @public
 */
export function applicableSchemas(schema: JsonValue | undefined): JsonObject[] {
  if (!isJsonObject(schema)) return [];
  const found: JsonObject[] = [schema];
  for (const keyword of SAME_VALUE_LISTS) {
    const list = schema[keyword];
    if (Array.isArray(list)) list.forEach(branch => found.push(...applicableSchemas(branch)));
  }
  for (const keyword of SAME_VALUE_SINGLE) {
    found.push(...applicableSchemas(schema[keyword]));
  }
  for (const keyword of SAME_VALUE_MAPS) {
    const map = schema[keyword];
    // The array form of `dependencies` only lists required keys: no subschema there.
    if (isJsonObject(map)) Object.values(map).forEach(dep => found.push(...applicableSchemas(dep)));
  }
  return found;
}

/**
 * Whether a location is secret: one of the schemas that may apply there says `secret: true`.
 *
 * @public
 */
export function isSecretLocation(schemas: JsonObject[]): boolean {
  return schemas.some(schema => schema.secret === true);
}

/** A pattern as ajv reads it; one no engine can read matches every key (the safe answer). */
function matches(pattern: string, key: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(key);
  } catch {
    return true;
  }
}

/**
 * The schemas that may apply to the value under `key` of an object where `schemas` apply:
 * `properties[key]`, each matching `patternProperties`, else `additionalProperties`, taken
 * per schema as JSON Schema does.
 *
 * @public
 */
export function propertySchemas(schemas: JsonObject[], key: string): JsonObject[] {
  const found: JsonObject[] = [];
  for (const schema of schemas) {
    let named = false;
    if (isJsonObject(schema.properties) && Object.prototype.hasOwnProperty.call(schema.properties, key)) {
      found.push(...applicableSchemas(schema.properties[key]));
      named = true;
    }
    if (isJsonObject(schema.patternProperties)) {
      for (const [pattern, sub] of Object.entries(schema.patternProperties)) {
        if (matches(pattern, key)) {
          found.push(...applicableSchemas(sub));
          named = true;
        }
      }
    }
    if (!named) found.push(...applicableSchemas(schema.additionalProperties));
  }
  return found;
}

/**
 * The schemas that may apply to each item of an array where `schemas` apply (`items` as one
 * schema; tuples are refused when they hold a secret).
 *
 * @public
 */
export function itemSchemas(schemas: JsonObject[]): JsonObject[] {
  return schemas.flatMap(schema => applicableSchemas(schema.items));
}

/**
 * The value with every value at a secret location passed through `onSecret`: what it answers
 * replaces the value, `undefined` removes it (an array item removed shortens the array).
 */
function transform(
  schemas: JsonObject[],
  value: JsonValue,
  onSecret: (value: JsonValue) => JsonValue | undefined,
): JsonValue | undefined {
  if (isSecretLocation(schemas)) return onSecret(value);
  if (Array.isArray(value)) {
    const items = itemSchemas(schemas);
    if (items.length === 0) return value;
    return value.flatMap(item => {
      const kept = transform(items, item, onSecret);
      return kept === undefined ? [] : [kept];
    });
  }
  if (isJsonObject(value)) {
    const result: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const below = propertySchemas(schemas, key);
      const kept = below.length === 0 ? item : transform(below, item, onSecret);
      if (kept !== undefined) result[key] = kept;
    }
    return result;
  }
  return value;
}

function asObject(value: JsonValue | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}

/**
 * The inputs without any value that the schema marks secret, at any depth: what may be stored,
 * returned or offered again on re-run.
 *
 * @public
 */
export function stripSecretInputs(schema: JsonValue | undefined, inputs: JsonObject): JsonObject {
  return asObject(transform(applicableSchemas(schema), inputs, () => undefined));
}

/**
 * The inputs with every value the schema marks secret replaced by `mask`, for display.
 *
 * @public
 */
export function maskSecretInputs(schema: JsonValue | undefined, inputs: JsonObject, mask = '***'): JsonObject {
  return asObject(transform(applicableSchemas(schema), inputs, () => mask));
}

/**
 * The leaf values (strings, numbers and booleans as text) found at secret locations of the
 * inputs, at any depth: what must be scrubbed from text an external system sends back.
 *
 * @public
 */
export function secretInputValues(schema: JsonValue | undefined, inputs: JsonObject): string[] {
  const values: string[] = [];
  const collect = (value: JsonValue) => {
    if (typeof value === 'string') values.push(value);
    else if (typeof value === 'number' || typeof value === 'boolean') values.push(String(value));
    else if (Array.isArray(value)) value.forEach(collect);
    else if (isJsonObject(value)) Object.values(value).forEach(collect);
  };
  transform(applicableSchemas(schema), inputs, value => {
    collect(value);
    return undefined;
  });
  return values;
}

/**
 * Whether any value was given at a secret location of the inputs.
 *
 * @public
 */
export function hasSecretInputValues(schema: JsonValue | undefined, inputs: JsonObject): boolean {
  let found = false;
  transform(applicableSchemas(schema), inputs, () => {
    found = true;
    return undefined;
  });
  return found;
}

function walkPaths(schemas: JsonObject[], path: string, found: Set<string>): void {
  if (isSecretLocation(schemas)) {
    found.add(path);
    return;
  }
  const join = (segment: string) => (path ? `${path}.${segment}` : segment);
  const names = new Set(schemas.flatMap(schema => Object.keys(asObject(schema.properties))));
  names.forEach(name => walkPaths(propertySchemas(schemas, name), join(name), found));
  for (const schema of schemas) {
    for (const [pattern, sub] of Object.entries(asObject(schema.patternProperties))) {
      walkPaths(applicableSchemas(sub), join(`/${pattern}/`), found);
    }
    walkPaths(applicableSchemas(schema.additionalProperties), join('*'), found);
  }
  const items = itemSchemas(schemas);
  if (items.length > 0) walkPaths(items, `${path}[]`, found);
}

/**
 * Where the schema marks inputs secret, as paths: `apiKey`, `database.password`,
 * `servers[].token` (every item), `labels.*` (additional properties), `env./^SECRET_/`
 * (pattern properties). Empty when nothing is secret.
 *
 * @public
 */
export function secretInputPaths(schema: JsonValue | undefined): string[] {
  const found = new Set<string>();
  walkPaths(applicableSchemas(schema), '', found);
  return [...found];
}
