import {
  ActionType,
  isJsonObject,
  JsonObject,
  JsonValue,
} from '@self-service-actions/plugin-self-service-actions-common';

/** The shorthands of `appliesTo` the editor offers; `{ kind, type }` entries are kept as written. */
export const APPLIES_TO_SHORTHANDS = ['Application', 'Service', 'Resource'] as const;

/** The editor's fields: a definition (DESIGN §3) as the form holds it, JSON parts as text. */
export interface DefinitionForm {
  id: string;
  name: string;
  type: ActionType;
  icon: string;
  description: string;
  owner: string;
  visibility: '' | 'public' | 'private';
  /** Entity refs, comma or newline separated (`*` for any signed-in user). */
  allowedPeople: string;
  resultsVisibleTo: string;
  allowEntityOwners: boolean;
  appliesTo: string[];
  methodType: string;
  /** Webhook: where it sends. */
  url: string;
  /** Webhook: headers as JSON text (each value naming a secret as `{{ secrets.NAME }}`). */
  headers: string;
  /** Webhook: the payload template as JSON text (empty: the default envelope). */
  payload: string;
  /** Webhook: the config secret it is signed with, as `{{ secrets.NAME }}` (empty: unsigned). */
  signingSecret: string;
  /** Other methods: every key of `method` but `type`, as JSON text. */
  methodSettings: string;
  userInputs: string;
  uiSchema: string;
  status: 'Active' | 'Draft';
  /** What the editor has no field for (approval, agents, `{ kind, type }` targets, other webhook keys), kept as loaded. */
  kept: { definition: JsonObject; method: JsonObject; appliesTo: JsonValue[] };
}

/** A problem the form places on one of its fields (or, without a field, above the form). */
export interface FormProblem {
  field?: keyof DefinitionForm;
  path: string;
  message: string;
}

const WEBHOOK_KEYS = ['type', 'url', 'headers', 'payload', 'signingSecret'];
const EDITED_KEYS = [
  'id', 'name', 'type', 'icon', 'description', 'owner', 'visibility', 'allowedPeople',
  'resultsVisibleTo', 'allowEntityOwners', 'appliesTo', 'method', 'userInputs', 'uiSchema', 'status',
];

const json = (value: JsonValue | undefined, empty = '') =>
  value === undefined ? empty : JSON.stringify(value, null, 2);
const refs = (value: JsonValue | undefined) => (Array.isArray(value) ? value.join(', ') : '');
const text = (value: JsonValue | undefined) => (typeof value === 'string' ? value : '');

/** A new action's starting point: a Draft webhook owned by the user, with one input. */
export function newDefinitionForm(owner: string, allowedUrl = 'https://'): DefinitionForm {
  return fromDefinition({
    name: '',
    type: 'Day2',
    icon: 'build',
    status: 'Draft',
    owner,
    appliesTo: ['Service'],
    userInputs: {
      type: 'object',
      required: ['reason'],
      properties: { reason: { type: 'string', title: 'Reason' } },
    },
    method: { type: 'Webhook', url: allowedUrl },
  });
}

/** The form of a saved definition. */
export function fromDefinition(definition: JsonObject): DefinitionForm {
  const method = isJsonObject(definition.method) ? definition.method : {};
  const methodType = text(method.type) || 'Webhook';
  // One target may be written without a list, as in app-config.
  let appliesTo: JsonValue[] = [];
  if (Array.isArray(definition.appliesTo)) appliesTo = definition.appliesTo;
  else if (definition.appliesTo !== undefined && definition.appliesTo !== null) appliesTo = [definition.appliesTo];
  const otherMethodKeys = Object.fromEntries(Object.entries(method).filter(([key]) => key !== 'type'));
  // A list of signing secrets (rotation) stays as written, outside the one-secret field.
  const keptWebhookKeys = typeof method.signingSecret === 'string' ? WEBHOOK_KEYS : WEBHOOK_KEYS.filter(key => key !== 'signingSecret');
  return {
    id: text(definition.id),
    name: text(definition.name),
    type: (text(definition.type) || 'Day2') as ActionType,
    icon: text(definition.icon) || 'build',
    description: text(definition.description),
    owner: text(definition.owner),
    visibility: definition.visibility === 'public' || definition.visibility === 'private' ? definition.visibility : '',
    allowedPeople: refs(definition.allowedPeople),
    resultsVisibleTo: refs(definition.resultsVisibleTo),
    allowEntityOwners: definition.allowEntityOwners === true,
    appliesTo: appliesTo.filter((item): item is string => typeof item === 'string'),
    methodType,
    url: text(method.url),
    headers: json(method.headers),
    payload: json(method.payload),
    signingSecret: text(method.signingSecret),
    methodSettings: methodType === 'Webhook' ? '' : json(otherMethodKeys, '{}'),
    userInputs: json(definition.userInputs, '{ "type": "object", "properties": {} }'),
    uiSchema: json(definition.uiSchema),
    status: definition.status === 'Active' ? 'Active' : 'Draft',
    kept: {
      definition: Object.fromEntries(Object.entries(definition).filter(([key]) => !EDITED_KEYS.includes(key))),
      method: methodType === 'Webhook'
        ? Object.fromEntries(Object.entries(method).filter(([key]) => !keptWebhookKeys.includes(key)))
        : {},
      appliesTo: appliesTo.filter(item => typeof item !== 'string'),
    },
  };
}

/**
 * Parses one JSON field; a problem names the field when its text is not a JSON object (or, for
 * the inputs, a configure8-style list).
 */
function parseObject(
  value: string,
  field: keyof DefinitionForm,
  path: string,
  problems: FormProblem[],
  allowList = false,
): JsonObject | JsonValue[] | undefined {
  if (!value.trim()) return undefined;
  try {
    const parsed = JSON.parse(value);
    if (isJsonObject(parsed) || (allowList && Array.isArray(parsed))) return parsed;
    problems.push({ field, path, message: allowList ? 'must be a JSON Schema object or a list of inputs' : 'must be a JSON object' });
  } catch (error) {
    problems.push({ field, path, message: `is not valid JSON: ${(error as Error).message}` });
  }
  return undefined;
}

const refList = (value: string) =>
  value
    .split(/[\n,]/)
    .map(ref => ref.trim())
    .filter(Boolean);

/**
 * The definition the form says, to send to the API, or the problems that keep it from being
 * one (JSON that does not parse). Everything else is the server's to judge, with its
 * `fieldErrors` placed back on the fields by {@link fieldOf}.
 */
export function toDefinition(form: DefinitionForm): { definition?: JsonObject; problems: FormProblem[] } {
  const problems: FormProblem[] = [];
  const userInputs = parseObject(form.userInputs, 'userInputs', 'userInputs', problems, true);
  const uiSchema = parseObject(form.uiSchema, 'uiSchema', 'uiSchema', problems) as JsonObject | undefined;
  let method: JsonObject;
  if (form.methodType === 'Webhook') {
    const headers = parseObject(form.headers, 'headers', 'method.headers', problems) as JsonObject | undefined;
    const payload = parseObject(form.payload, 'payload', 'method.payload', problems) as JsonObject | undefined;
    method = {
      type: 'Webhook',
      url: form.url.trim(),
      ...(headers ? { headers } : {}),
      ...(payload ? { payload } : {}),
      ...(form.signingSecret.trim() ? { signingSecret: form.signingSecret.trim() } : {}),
      ...form.kept.method,
    };
  } else {
    const settings = (parseObject(form.methodSettings, 'methodSettings', 'method', problems) ?? {}) as JsonObject;
    method = { ...settings, type: form.methodType };
  }
  if (problems.length > 0) return { problems };
  const allowedPeople = refList(form.allowedPeople);
  const resultsVisibleTo = refList(form.resultsVisibleTo);
  const appliesTo = [...form.appliesTo, ...form.kept.appliesTo];
  const definition: JsonObject = {
    ...form.kept.definition,
    ...(form.id.trim() ? { id: form.id.trim() } : {}),
    name: form.name.trim(),
    type: form.type,
    icon: form.icon,
    status: form.status,
    ...(form.description.trim() ? { description: form.description.trim() } : {}),
    ...(form.owner.trim() ? { owner: form.owner.trim() } : {}),
    ...(form.visibility ? { visibility: form.visibility } : {}),
    ...(allowedPeople.length > 0 ? { allowedPeople } : {}),
    ...(resultsVisibleTo.length > 0 ? { resultsVisibleTo } : {}),
    ...(form.allowEntityOwners ? { allowEntityOwners: true } : {}),
    ...(appliesTo.length > 0 ? { appliesTo } : {}),
    ...(userInputs ? { userInputs } : {}),
    ...(uiSchema ? { uiSchema } : {}),
    method,
  };
  return { definition, problems };
}

/** The field of the form a server error path belongs on (undefined: shown above the form). */
export function fieldOf(path: string, methodType: string): keyof DefinitionForm | undefined {
  const [head, second] = path.split('.');
  if (head === 'method') {
    if (methodType !== 'Webhook') return 'methodSettings';
    if (second === 'url' || second === 'headers' || second === 'payload' || second === 'signingSecret') return second;
    return second === 'type' ? 'methodType' : undefined;
  }
  const direct: Array<keyof DefinitionForm> = [
    'id', 'name', 'type', 'icon', 'description', 'owner', 'visibility', 'allowedPeople',
    'resultsVisibleTo', 'allowEntityOwners', 'appliesTo', 'userInputs', 'uiSchema',
  ];
  return direct.find(field => field === head);
}

/** The server's `fieldErrors`, each placed on its field. */
export function placeFieldErrors(
  fieldErrors: Array<{ path: string; message: string }>,
  methodType: string,
): FormProblem[] {
  return fieldErrors.map(({ path, message }) => ({ field: fieldOf(path, methodType), path, message }));
}

/** What a field shows of the problems placed on it (undefined: none). */
export function problemText(problems: FormProblem[], field: keyof DefinitionForm): string | undefined {
  return (
    problems
      .filter(problem => problem.field === field)
      .map(problem => `${problem.path} ${problem.message}`)
      .join('; ') || undefined
  );
}
