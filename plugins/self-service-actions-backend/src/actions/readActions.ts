import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ACTION_TYPES,
  ActionType,
  AppliesTo,
  isValidActionIcon,
  JsonObject,
  JsonValue,
} from '@internal/plugin-self-service-actions-common';
import Ajv from 'ajv';
import { ActionDefinition, WebhookMethod } from './types';
import { convertInputList } from './userInputs';
import { compileInputSchema } from './inputValidation';
import { RESERVED_TEMPLATE_ROOTS } from '../webhook/template';
import { signingSecretProblem } from '../webhook/sign';

const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const APPLIES_TO_SHORTHANDS = ['Application', 'Service', 'Resource'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** Settings that apply to every action. */
export interface ActionsSettings {
  admins: string[];
  defaultVisibility: 'public' | 'private';
  webhookTimeoutMs: number;
  signingSecrets: string[];
  /** Host patterns webhooks may go to; undefined: any. */
  allowedHosts?: string[];
}

/** Reads a secret or a list of secrets; the problem names the field. */
function readSecretList(value: unknown, fail: (problem: string) => never): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map(secret => {
    if (typeof secret !== 'string' || !secret) {
      return fail('must be a secret string or a list of them');
    }
    const problem = signingSecretProblem(secret);
    return problem ? fail(problem) : secret;
  });
}

/** True when `host` matches one of the patterns (`*.example.com` matches subdomains only). */
export function isHostAllowed(host: string, patterns: string[] | undefined): boolean {
  if (!patterns) {
    return true;
  }
  const name = host.toLocaleLowerCase('en-US');
  return patterns.some(pattern => {
    const p = pattern.toLocaleLowerCase('en-US');
    return p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p;
  });
}

/** A problem with one field of one action; start-up stops with its message. */
class ActionConfigError extends Error {
  constructor(actionId: string, field: string, problem: string) {
    super(
      `Invalid self-service action "${actionId}": selfServiceActions.actions field "${field}" ${problem}`,
    );
    this.name = 'ActionConfigError';
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readTimeoutMs(config: Config, key: string): number | undefined {
  if (!config.has(key)) {
    return undefined;
  }
  return durationToMilliseconds(readDurationFromConfig(config, { key }));
}

/** Normalises a user or group ref (`team-a` means `group:default/team-a`). */
export function normalizePrincipalRef(ref: string): string {
  const parsed = parseEntityRef(ref, { defaultKind: 'group', defaultNamespace: 'default' });
  const normalized = stringifyEntityRef(parsed);
  if (parsed.kind.toLocaleLowerCase('en-US') !== 'user' && parsed.kind.toLocaleLowerCase('en-US') !== 'group') {
    throw new Error(`"${ref}" is not a user or group ref`);
  }
  return normalized;
}

/** Reads `selfServiceActions` settings other than the actions. */
export function readActionsSettings(config: Config): ActionsSettings {
  const root = config.getOptionalConfig('selfServiceActions');
  const admins = (root?.getOptionalStringArray('admins') ?? []).map(ref => {
    try {
      return normalizePrincipalRef(ref);
    } catch (error) {
      throw new Error(`selfServiceActions.admins: ${(error as Error).message}`);
    }
  });
  const defaultVisibility = root?.getOptionalString('defaultVisibility') ?? 'public';
  if (defaultVisibility !== 'public' && defaultVisibility !== 'private') {
    throw new Error('selfServiceActions.defaultVisibility must be public or private');
  }
  const allowedHosts = root?.getOptionalStringArray('webhook.allowedHosts');
  return {
    admins,
    defaultVisibility,
    webhookTimeoutMs:
      (root && readTimeoutMs(root, 'webhook.timeout')) ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
    signingSecrets: readSecretList(root?.getOptional('webhook.signingSecret'), problem => {
      throw new Error(`selfServiceActions.webhook.signingSecret ${problem}`);
    }),
    allowedHosts,
  };
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
    if (isObject(item) && typeof item.kind === 'string' && item.kind) {
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

function readStringMap(reader: ActionReader, field: string, value: JsonValue | undefined) {
  if (value === undefined || value === null) {
    return {};
  }
  if (!isObject(value)) {
    return reader.fail(field, 'must be a map of names to values');
  }
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      return reader.fail(`${field}.${key}`, 'must be a string');
    }
    result[key] = String(item);
  }
  return result;
}

function readMethod(
  reader: ActionReader,
  config: Config,
  raw: JsonValue | undefined,
  settings: ActionsSettings,
): WebhookMethod {
  if (!isObject(raw)) {
    return reader.fail('method', 'is required');
  }
  if (raw.type !== 'Webhook') {
    return reader.fail('method.type', `must be Webhook, not ${JSON.stringify(raw.type)}`);
  }
  if (raw.httpMethod !== undefined && raw.httpMethod !== 'POST') {
    return reader.fail('method.httpMethod', `must be POST, not ${JSON.stringify(raw.httpMethod)}`);
  }
  const url = raw.url;
  if (typeof url !== 'string' || !url) {
    return reader.fail('method.url', 'is required');
  }
  const origin = /^(https?):\/\/([^/?#]*)/i.exec(url);
  if (!origin) {
    return reader.fail('method.url', 'must be an http or https URL');
  }
  if (origin[0].includes('{{')) {
    return reader.fail('method.url', 'cannot have placeholders in its scheme, host or port');
  }
  try {
    // eslint-disable-next-line no-new
    new URL(url.replace(/\{\{[^}]*\}\}/g, 'x'));
  } catch {
    return reader.fail('method.url', 'is not a valid URL');
  }
  const headers = readStringMap(reader, 'method.headers', raw.headers);
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name)) {
      reader.fail('method.headers', `has an invalid header name ${JSON.stringify(name)}`);
    }
  }
  if (raw.payload !== undefined && !isObject(raw.payload)) {
    return reader.fail('method.payload', 'must be an object');
  }
  const reportTokenKey = raw.reportTokenKey ?? 'reportToken';
  if (typeof reportTokenKey !== 'string' || !reportTokenKey) {
    return reader.fail('method.reportTokenKey', 'must be a non-empty string');
  }
  if (!isHostAllowed(new URL(url.replace(/\{\{[^}]*\}\}/g, 'x')).hostname, settings.allowedHosts)) {
    reader.fail('method.url', 'points at a host not in selfServiceActions.webhook.allowedHosts');
  }
  const signingSecrets = readSecretList(raw.signingSecret, problem =>
    reader.fail('method.signingSecret', problem),
  );
  let timeoutMs: number | undefined;
  try {
    timeoutMs = readTimeoutMs(config, 'method.timeout');
  } catch (error) {
    return reader.fail('method.timeout', `is not a duration: ${(error as Error).message}`);
  }
  return {
    type: 'Webhook',
    url,
    queryParameters: readStringMap(reader, 'method.queryParameters', raw.queryParameters),
    headers,
    payload: raw.payload,
    reportTokenKey,
    timeoutMs: timeoutMs ?? settings.webhookTimeoutMs,
    signingSecrets: signingSecrets.length > 0 ? signingSecrets : settings.signingSecrets,
  };
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
  } else if (isObject(given)) {
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
  const properties = isObject(schema.properties) ? schema.properties : {};
  for (const name of Object.keys(properties)) {
    if ((RESERVED_TEMPLATE_ROOTS as readonly string[]).includes(name)) {
      reader.fail('userInputs', `cannot name an input "${name}": it is reserved for templates`);
    }
  }
  const secretInputs = Object.entries(properties)
    .filter(([, property]) => isObject(property) && property.secret === true)
    .map(([name]) => name);
  if (raw.uiSchema !== undefined) {
    if (!isObject(raw.uiSchema)) {
      return reader.fail('uiSchema', 'must be an object');
    }
    uiSchema = { ...uiSchema, ...raw.uiSchema };
  }
  return { schema, uiSchema, secretInputs };
}

function readAction(
  config: Config,
  index: number,
  settings: ActionsSettings,
  ajv: Ajv,
): ActionDefinition {
  const raw = config.get();
  if (!isObject(raw)) {
    throw new Error(`selfServiceActions.actions[${index}] must be an object`);
  }
  const rawId = raw.id;
  const label = typeof rawId === 'string' && rawId ? rawId : `#${index}`;
  const reader = new ActionReader(label, raw);
  const id = reader.string('id', true);
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
  const inputs = readInputs(reader, raw, ajv);
  const method = readMethod(reader, config, raw.method, settings);
  return {
    id,
    name: reader.string('name', true),
    type: reader.oneOf<ActionType>('type', ACTION_TYPES),
    icon,
    status: reader.oneOf('status', ['Active', 'Draft'] as const),
    description: reader.string('description'),
    owner,
    visibility: reader.oneOf('visibility', ['public', 'private'] as const, settings.defaultVisibility),
    resultsVisibleTo: reader.refs('resultsVisibleTo', false),
    allowedPeople: reader.refs('allowedPeople', true),
    allowEntityOwners: raw.allowEntityOwners === true,
    appliesTo: readAppliesTo(reader, raw.appliesTo),
    userInputs: inputs.schema,
    uiSchema: inputs.uiSchema,
    secretInputs: inputs.secretInputs,
    method,
  };
}

/**
 * Reads and validates every action in `selfServiceActions.actions`. Throws on the first
 * problem with a message naming the action id and the field, so start-up stops there.
 */
export function readActions(config: Config, ajv: Ajv): ActionDefinition[] {
  const settings = readActionsSettings(config);
  const list = config.getOptionalConfigArray('selfServiceActions.actions') ?? [];
  const actions = list.map((item, index) => readAction(item, index, settings, ajv));
  const seen = new Set<string>();
  for (const action of actions) {
    if (seen.has(action.id)) {
      throw new ActionConfigError(action.id, 'id', 'is used by more than one action');
    }
    seen.add(action.id);
  }
  return actions;
}
