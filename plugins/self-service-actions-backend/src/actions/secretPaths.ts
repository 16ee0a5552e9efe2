import {
  applicableSchemas,
  isJsonObject,
  propertySchemas,
  JsonObject,
  JsonValue,
  secretInputPaths,
} from '@self-service-actions/plugin-self-service-actions-common';

/*
 * Where `secret: true` may stand in an action's input schema. The walk that strips and collects
 * secret values (`-common`'s secretInputs) follows properties, patternProperties,
 * additionalProperties, items (one schema), allOf/anyOf/oneOf, if/then/else and schema
 * dependencies, taking every branch as applying. A secret anywhere else cannot be located in a
 * value, so the schema is refused at start-up rather than the secret stored in clear.
 */

/** Subschema positions the walk follows, holding one schema. */
const FOLLOWED_SINGLE = ['additionalProperties', 'if', 'then', 'else'];
/** Subschema positions the walk follows, holding schemas by name. */
const FOLLOWED_MAPS = ['properties', 'patternProperties', 'dependencies', 'dependentSchemas'];
/** Subschema positions the walk follows, holding a list of schemas. */
const FOLLOWED_LISTS = ['allOf', 'anyOf', 'oneOf'];

/** Why a secret cannot stand under a keyword; keywords not named hold no subschema. */
const UNLOCATABLE: Record<string, string> = {
  not: 'a value that must not match a schema cannot be located',
  contains: 'which items match "contains" is not known in advance',
  propertyNames: 'property names are not values and cannot be stripped',
  additionalItems: 'tuple items are not followed: use "items" with one schema',
  prefixItems: 'tuple items are not followed: use "items" with one schema',
  unevaluatedItems: 'which items are unevaluated is not known in advance',
  unevaluatedProperties: 'which properties are unevaluated is not known in advance',
  contentSchema: 'the content of an encoded string cannot be located',
};

/** Where `$ref`s may point without being walked (definitions are reached only through them). */
const DEFINITIONS = ['definitions', '$defs'];

/** Keywords whose values are data, not schemas: `secret` in them means nothing. */
const DATA_KEYWORDS = ['enum', 'const', 'default', 'examples'];

/** A place in the schema where a secret cannot be located safely. */
export interface UnlocatableSecret {
  /** The schema path, as config names it: `userInputs.properties.token.not`. */
  path: string;
  problem: string;
}

/** Resolves a local JSON pointer (`#/definitions/x`); undefined for anything else. */
function resolveLocalRef(root: JsonObject, ref: string): JsonValue | undefined {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: JsonValue | undefined = root;
  for (const raw of ref.slice(2).split('/')) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isJsonObject(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

/**
 * Whether `secret: true` stands anywhere in a subschema, also behind the local `$ref`s it
 * holds (followed once each), or behind a `$ref` that cannot be resolved here.
 */
function holdsSecret(node: JsonValue | undefined, root: JsonObject, seen: Set<string>): boolean {
  if (Array.isArray(node)) return node.some(item => holdsSecret(item, root, seen));
  if (!isJsonObject(node)) return false;
  if (node.secret === true) return true;
  if (typeof node.$ref === 'string' && !seen.has(node.$ref)) {
    seen.add(node.$ref);
    const target = resolveLocalRef(root, node.$ref);
    // A remote or $id-based target is not seen from here: it might hold a secret.
    if (target === undefined || holdsSecret(target, root, seen)) return true;
  }
  return Object.entries(node).some(
    ([key, value]) => !DATA_KEYWORDS.includes(key) && holdsSecret(value, root, seen),
  );
}

/** Subschemas of a schema with the keyword path that reaches each, and whether the walk follows it. */
function subschemas(schema: JsonObject): Array<{ key: string; value: JsonValue; followed: boolean }> {
  const found: Array<{ key: string; value: JsonValue; followed: boolean }> = [];
  const definitions: typeof found = [];
  for (const [keyword, value] of Object.entries(schema)) {
    if (FOLLOWED_SINGLE.includes(keyword)) {
      found.push({ key: keyword, value, followed: true });
    } else if (keyword === 'items') {
      // One schema is followed; a list (a tuple) is not.
      const list = Array.isArray(value) ? value : [value];
      list.forEach((item, i) =>
        found.push({ key: Array.isArray(value) ? `items.${i}` : 'items', value: item, followed: !Array.isArray(value) }),
      );
    } else if (FOLLOWED_LISTS.includes(keyword) && Array.isArray(value)) {
      value.forEach((item, i) => found.push({ key: `${keyword}.${i}`, value: item, followed: true }));
    } else if (FOLLOWED_MAPS.includes(keyword) && isJsonObject(value)) {
      Object.entries(value).forEach(([name, item]) =>
        found.push({ key: `${keyword}.${name}`, value: item, followed: true }),
      );
    } else if (keyword in UNLOCATABLE) {
      found.push({ key: keyword, value, followed: false });
    } else if (DEFINITIONS.includes(keyword) && isJsonObject(value)) {
      // Walked only for the `$ref`s they hold, and last, so that a refusal names first where
      // a definition holding a secret is used.
      Object.entries(value).forEach(([name, item]) =>
        definitions.push({ key: `${keyword}.${name}`, value: item, followed: true }),
      );
    }
  }
  return [...found, ...definitions];
}

function unlocatableProblem(key: string): string {
  const keyword = key.startsWith('items.') ? 'prefixItems' : key;
  return UNLOCATABLE[keyword] ?? 'cannot be located';
}

function walk(schema: JsonValue, path: string, root: JsonObject, found: UnlocatableSecret[]): void {
  if (!isJsonObject(schema)) return;
  if (typeof schema.$ref === 'string' && holdsSecret({ $ref: schema.$ref }, root, new Set())) {
    found.push({
      path: `${path}.$ref`,
      problem: 'points at a schema holding a secret: "$ref" is not followed, mark the property where it stands',
    });
  }
  for (const { key, value, followed } of subschemas(schema)) {
    const below = `${path}.${key}`;
    if (followed) {
      walk(value, below, root, found);
    } else if (holdsSecret(value, root, new Set())) {
      found.push({ path: below, problem: `holds a secret: ${unlocatableProblem(key)}` });
    }
  }
}

/**
 * Every place the input schema holds a secret that the walk cannot locate in a value, with
 * why; the schema (given at `userInputs`) is refused when there is one.
 */
export function unlocatableSecrets(schema: JsonObject, field = 'userInputs'): UnlocatableSecret[] {
  const found: UnlocatableSecret[] = [];
  if (!JSON.stringify(schema).includes('"secret":true')) {
    // Nothing is secret: a `$ref` that cannot be resolved here hides nothing.
    return found;
  }
  if (schema.secret === true) {
    found.push({ path: `${field}.secret`, problem: 'cannot make every input secret: mark the secret properties' });
  }
  walk(schema, field, schema, found);
  return found;
}

/** Where the schema marks inputs secret (`apiKey`, `database.password`, `servers[].token`). */
export function secretPaths(schema: JsonObject): string[] {
  return secretInputPaths(schema);
}

/**
 * The top-level inputs of a run that are secret or hold a secret at any depth, declared or
 * given: what `InvocationContext.secretInputs` names for invokers that keep values out of
 * logs by name (a whole object holding a password is kept out).
 */
export function secretInputNames(schema: JsonObject, inputs: JsonObject): string[] {
  const root = applicableSchemas(schema);
  const declared = root.flatMap(s => (isJsonObject(s.properties) ? Object.keys(s.properties) : []));
  const names = new Set([...declared, ...Object.keys(inputs)]);
  return [...names].filter(name => {
    const below = propertySchemas(root, name);
    return secretInputPaths({ allOf: below }).length > 0;
  });
}
