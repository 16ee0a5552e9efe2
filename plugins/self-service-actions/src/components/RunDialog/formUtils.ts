import {
  applicableSchemas,
  isJsonObject,
  isSecretLocation,
  itemSchemas,
  JsonObject,
  propertySchemas,
  secretInputPaths,
} from '@self-service-actions/plugin-self-service-actions-common';
import { ErrorSchema, RJSFValidationError, UiSchema } from '@rjsf/utils';

/** A secret leaf RJSF renders as a text box; a checkbox or a select cannot hide its value. */
function isTextLeaf(schemas: JsonObject[]): boolean {
  return !schemas.some(
    schema =>
      schema.enum !== undefined ||
      schema.const !== undefined ||
      ['boolean', 'object', 'array'].some(type =>
        Array.isArray(schema.type) ? schema.type.includes(type) : schema.type === type,
      ),
  );
}

/**
 * Password widgets for every secret field below a location, nested as RJSF reads uiSchema:
 * properties by name, array items under `items`, additional properties under
 * `additionalProperties`. Everything below a secret object or array is secret too. Branches
 * (allOf, anyOf, oneOf, if/then/else) are merged by RJSF into the same level, so their fields
 * are found by name there.
 */
function secretWidgets(schemas: JsonObject[], inherited: boolean): JsonObject | undefined {
  const secret = inherited || isSecretLocation(schemas);
  const ui: JsonObject = {};
  const names = new Set(schemas.flatMap(schema => Object.keys(isJsonObject(schema.properties) ? schema.properties : {})));
  for (const name of names) {
    const below = secretWidgets(propertySchemas(schemas, name), secret);
    if (below) ui[name] = below;
  }
  const additional = schemas.flatMap(schema => applicableSchemas(schema.additionalProperties));
  const additionalUi = additional.length > 0 ? secretWidgets(additional, secret) : undefined;
  if (additionalUi) ui.additionalProperties = additionalUi;
  const items = itemSchemas(schemas);
  const itemsUi = items.length > 0 ? secretWidgets(items, secret) : undefined;
  if (itemsUi) ui.items = itemsUi;
  const leaf = names.size === 0 && additional.length === 0 && items.length === 0;
  if (secret && leaf && isTextLeaf(schemas)) ui['ui:widget'] = 'password';
  return Object.keys(ui).length > 0 ? ui : undefined;
}

/** `extra` over `base`, object by object (the password widget wins over the action's widget). */
function mergeUi(base: JsonObject, extra: JsonObject | undefined): JsonObject {
  const result: JsonObject = { ...base };
  for (const [key, value] of Object.entries(extra ?? {})) {
    const current = result[key];
    result[key] = isJsonObject(value) && isJsonObject(current) ? mergeUi(current, value) : value;
  }
  return result;
}

/**
 * The uiSchema to render: the action's, with secret fields at any depth as password fields
 * and the focus on the first field when the form opens (in `ui:order` when the action gives
 * one).
 */
export function formUiSchema(schema: JsonObject, uiSchema?: JsonObject): UiSchema {
  const result = mergeUi(
    (uiSchema ?? {}) as JsonObject,
    secretWidgets(applicableSchemas(schema), false),
  ) as UiSchema;
  const properties = isJsonObject(schema.properties) ? schema.properties : {};
  const order = Array.isArray(result['ui:order']) ? (result['ui:order'] as string[]) : [];
  const first = [...order.filter(name => name in properties), ...Object.keys(properties)][0];
  if (first && !Object.values(result).some(field => isJsonObject(field) && 'ui:autofocus' in field)) {
    result[first] = { ...(result[first] as object), 'ui:autofocus': true };
  }
  return result;
}

/**
 * Where the secret inputs are (`apiKey`, `database.password`, `servers[].token`): never
 * stored, so they must be given again on re-run.
 */
export function secretInputNames(schema: JsonObject): string[] {
  return secretInputPaths(schema);
}

/** A server field error. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * Turns the server's `fieldErrors` (`inputs.replicas`) into RJSF extra errors so each message
 * shows on its field; errors that name no input are returned apart.
 */
export function toExtraErrors(fieldErrors: FieldError[]): {
  extraErrors: ErrorSchema;
  otherErrors: string[];
} {
  const extraErrors: ErrorSchema = {};
  const otherErrors: string[] = [];
  for (const { path, message } of fieldErrors) {
    const segments = path.split('.');
    if (segments[0] !== 'inputs' || segments.length < 2) {
      otherErrors.push(path ? `${path} ${message}` : message);
      continue;
    }
    let node: any = extraErrors;
    for (const segment of segments.slice(1)) {
      node[segment] = node[segment] ?? {};
      node = node[segment];
    }
    node.__errors = [...(node.__errors ?? []), message];
  }
  return { extraErrors, otherErrors };
}

/**
 * Form errors in the field's own words: "Reason is required" rather than ajv's "must have
 * required property 'Reason'" (RJSF puts the field's title in the quotes).
 */
export function plainFormErrors(errors: RJSFValidationError[]): RJSFValidationError[] {
  return errors.map(error => {
    if (error.name !== 'required') return error;
    const field = /'([^']+)'/.exec(error.message ?? '')?.[1] ?? String(error.params?.missingProperty ?? 'This field');
    const message = `${field} is required`;
    return { ...error, message, stack: message };
  });
}
