import { Config } from '@backstage/config';
import {
  ACTION_TYPES,
  ActionType,
  AppliesTo,
  isJsonObject,
  isValidActionIcon,
  JsonObject,
  JsonValue,
} from '@self-service-actions/plugin-self-service-actions-common';
import { MethodConfigError } from '@self-service-actions/plugin-self-service-actions-node';
import Ajv from 'ajv';
import { ActionDefinition } from './types';
import { convertInputList } from './userInputs';
import { readApproval } from './readApproval';
import { compileInputSchema } from './inputValidation';
import { secretPaths, unlocatableSecrets } from './secretPaths';
import { RESERVED_TEMPLATE_ROOTS } from '../invokers/template';
import { InvokerRegistry } from '../invokers/InvokerRegistry';
import { normalizePrincipalRef } from '../access/principalRefs';

const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const APPLIES_TO_SHORTHANDS = ['Application', 'Service', 'Resource'];

/** What reading actions needs besides their config. */
export interface ReadActionsOptions {
  ajv: Ajv;
  /** Reads each action's `method` with the invoker of its type. */
  invokers: InvokerRegistry;
  defaultVisibility: 'public' | 'private';
  /** How long a run may wait for approval when the action does not say. */
  defaultApprovalExpiryMs: number;
}

/**
 * A problem with one field of one action: start-up stops with its message; the API that saves
 * an action answers 400 with `field` as the path of a field error.
 */
export class ActionConfigError extends Error {
  constructor(
    actionId: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(
      `Invalid self-service action "${actionId}": selfServiceActions.actions field "${field}" ${problem}`,
    );
    this.name = 'ActionConfigError';
  }
}

class ActionReader {
  constructor(
    private readonly id: string,
    private readonly raw: JsonObject,
  ) {}

  fail(field: string, problem: string): never {
    throw new ActionConfigError(this.id, field, problem);
  }

  string(field: string, required: true): string;
  string(field: string, required?: false): string | undefined;
  string(field: string, required = false): string | undefined {
    const value = this.raw[field];
    if (value === undefined || value === null) {
      return required ? this.fail(field, 'is required') : undefined;
    }
    if (typeof value !== 'string' || (required && !value.trim())) {
      return this.fail(field, 'must be a non-empty string');
    }
    return value;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback?: T): T {
    const value = this.raw[field] ?? fallback;
    if (value === undefined) {
      return this.fail(field, `is required (one of ${allowed.join(', ')})`);
    }
    if (!allowed.includes(value as T)) {
      return this.fail(field, `must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
    }
    return value as T;
  }

  refs(field: string, allowStar: boolean): string[] {
    const value = this.raw[field];
    if (value === undefined || value === null) {
      return [];
    }
    if (!Array.isArray(value)) {
      return this.fail(field, 'must be a list of user or group refs');
    }
    return value.map(ref => {
      if (typeof ref !== 'string') {
        return this.fail(field, 'must be a list of user or group refs');
      }
      if (ref === '*') {
        return allowStar ? ref : this.fail(field, 'cannot contain "*"');
      }
      try {
        return normalizePrincipalRef(ref);
      } catch (error) {
        return this.fail(field, `has an invalid ref: ${(error as Error).message}`);
      }
    });
  }
}

function readAppliesTo(reader: ActionReader, value: JsonValue | undefined): AppliesTo[] | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    return reader.fail('appliesTo', 'must not be empty (leave it out for a global action)');
  }
  return list.map(item => {
    if (typeof item === 'string' && APPLIES_TO_SHORTHANDS.includes(item)) {
      return item as AppliesTo;
    }
    if (isJsonObject(item) && typeof item.kind === 'string' && item.kind) {
      if (item.type !== undefined && typeof item.type !== 'string') {
        return reader.fail('appliesTo', 'type must be a string');
      }
      return item.type ? { kind: item.kind, type: item.type } : { kind: item.kind };
    }
    return reader.fail(
      'appliesTo',
      `entries must be ${APPLIES_TO_SHORTHANDS.join(', ')} or { kind, type }, not ${JSON.stringify(item)}`,
    );
  });
}

/** Reads the method with its invoker, naming `method.<field>` in a problem. */
function readMethod(reader: ActionReader, config: Config, invokers: InvokerRegistry) {
  if (!isJsonObject(config.getOptional('method'))) {
    return reader.fail('method', 'is required');
  }
  try {
    return invokers.validate(config.getConfig('method'));
  } catch (error) {
    if (error instanceof MethodConfigError) {
      return reader.fail(`method.${error.field}`, error.problem);
    }
    return reader.fail('method', `is invalid: ${(error as Error).message}`);
  }
}

function readInputs(reader: ActionReader, raw: JsonObject, ajv: Ajv) {
  let schema: JsonObject = { type: 'object', properties: {} };
  let uiSchema: JsonObject | undefined;
  const given = raw.userInputs;
  if (Array.isArray(given)) {
    try {
      const converted = convertInputList(given);
      schema = converted.schema;
      uiSchema = converted.uiSchema;
    } catch (error) {
      return reader.fail('userInputs', `is invalid: ${(error as Error).message}`);
    }
  } else if (isJsonObject(given)) {
    schema = given;
  } else if (given !== undefined && given !== null) {
    return reader.fail('userInputs', 'must be a JSON Schema object or a list of inputs');
  }
  if (schema.type !== 'object') {
    return reader.fail('userInputs', 'must be a schema of type object');
  }
  try {
    compileInputSchema(ajv, schema);
  } catch (error) {
    return reader.fail('userInputs', `is not a valid JSON Schema: ${(error as Error).message}`);
  }
  const properties = isJsonObject(schema.properties) ? schema.properties : {};
  for (const name of Object.keys(properties)) {
    if ((RESERVED_TEMPLATE_ROOTS as readonly string[]).includes(name)) {
      reader.fail('userInputs', `cannot name an input "${name}": it is reserved for templates`);
    }
  }
  // A secret the walk could not find in a value would be stored in clear: refuse the schema.
  const [unlocatable] = unlocatableSecrets(schema);
  if (unlocatable) {
    reader.fail(unlocatable.path, unlocatable.problem);
  }
  if (raw.uiSchema !== undefined) {
    if (!isJsonObject(raw.uiSchema)) {
      return reader.fail('uiSchema', 'must be an object');
    }
    uiSchema = { ...uiSchema, ...raw.uiSchema };
  }
  return { schema, uiSchema, secretPaths: secretPaths(schema) };
}

/**
 * Reads and validates one action definition (`config` holds it; `index` names it when it has
 * no id). Throws `ActionConfigError` naming the action and the field.
 */
export function readAction(config: Config, index: number, options: ReadActionsOptions): ActionDefinition {
  const raw = config.get();
  if (!isJsonObject(raw)) {
    throw new Error(`selfServiceActions.actions[${index}] must be an object`);
  }
  const rawId = raw.id;
  const label = typeof rawId === 'string' && rawId ? rawId : `#${index}`;
  const reader = new ActionReader(label, raw);
  const id = reader.string('id', true);
  // 100: the id column of managed actions (and a readable run list).
  if (id.length > 100) {
    reader.fail('id', 'must be at most 100 characters');
  }
  if (!ID_PATTERN.test(id)) {
    reader.fail('id', 'must be lower-case letters, digits and single dashes');
  }
  const icon = reader.string('icon', true);
  if (!isValidActionIcon(icon)) {
    reader.fail('icon', 'must be a known icon name, a data:image/ URL or an https URL');
  }
  const ownerValue = reader.string('owner', true);
  let owner: string;
  try {
    owner = normalizePrincipalRef(ownerValue);
  } catch (error) {
    return reader.fail('owner', `is invalid: ${(error as Error).message}`);
  }
  if (raw.allowEntityOwners !== undefined && typeof raw.allowEntityOwners !== 'boolean') {
    reader.fail('allowEntityOwners', 'must be true or false');
  }
  const type = reader.oneOf<ActionType>('type', ACTION_TYPES);
  const inputs = readInputs(reader, raw, options.ajv);
  const method = readMethod(reader, config, options.invokers);
  const approval = readApproval(
    config,
    { defaultExpiryMs: options.defaultApprovalExpiryMs, secretPaths: inputs.secretPaths },
    (field, problem) => reader.fail(field, problem),
  );
  return {
    id,
    name: reader.string('name', true),
    type,
    icon,
    status: reader.oneOf('status', ['Active', 'Draft'] as const),
    description: reader.string('description'),
    owner,
    visibility: reader.oneOf('visibility', ['public', 'private'] as const, options.defaultVisibility),
    resultsVisibleTo: reader.refs('resultsVisibleTo', false),
    allowedPeople: reader.refs('allowedPeople', true),
    allowEntityOwners: raw.allowEntityOwners === true,
    appliesTo: readAppliesTo(reader, raw.appliesTo),
    userInputs: inputs.schema,
    uiSchema: inputs.uiSchema,
    secretPaths: inputs.secretPaths,
    ...(approval ? { approval } : {}),
    agentsAllowed: readAgentsAllowed(reader, raw.agents, type),
    method,
    source: 'config',
    version: 1,
  };
}

/**
 * Whether agents may run the action through the actions registry (`agents.allowed`). Default:
 * yes for Day2 and Create, no for Delete, whose damage a confused agent could not undo.
 */
function readAgentsAllowed(reader: ActionReader, agents: JsonValue | undefined, type: ActionType): boolean {
  if (agents === undefined) {
    return type !== 'Delete';
  }
  if (!isJsonObject(agents) || Object.keys(agents).some(key => key !== 'allowed')) {
    return reader.fail('agents', 'must be an object with only "allowed"');
  }
  if (agents.allowed !== undefined && typeof agents.allowed !== 'boolean') {
    return reader.fail('agents.allowed', 'must be true or false');
  }
  return agents.allowed ?? type !== 'Delete';
}

/**
 * Reads and validates every action in `selfServiceActions.actions`. Throws on the first
 * problem with a message naming the action id and the field, so start-up stops there.
 */
export function readActions(config: Config, options: ReadActionsOptions): ActionDefinition[] {
  const list = config.getOptionalConfigArray('selfServiceActions.actions') ?? [];
  const actions = list.map((item, index) => readAction(item, index, options));
  const seen = new Set<string>();
  for (const action of actions) {
    if (seen.has(action.id)) {
      throw new ActionConfigError(action.id, 'id', 'is used by more than one action');
    }
    seen.add(action.id);
  }
  return actions;
}
