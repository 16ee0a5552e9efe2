import { isJsonObject, JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { ErrorSchema, RJSFValidationError, UiSchema } from '@rjsf/utils';

/**
 * The uiSchema to render: the action's, with secret properties as password fields and the
 * focus on the first field when the form opens (in `ui:order` when the action gives one).
 */
export function formUiSchema(schema: JsonObject, uiSchema?: JsonObject): UiSchema {
  const result: UiSchema = { ...(uiSchema as UiSchema) };
  const properties = isJsonObject(schema.properties) ? schema.properties : {};
  for (const [name, property] of Object.entries(properties)) {
    if (isJsonObject(property) && property.secret === true) {
      result[name] = { ...(result[name] as object), 'ui:widget': 'password' };
    }
  }
  const order = Array.isArray(result['ui:order']) ? (result['ui:order'] as string[]) : [];
  const first = [...order.filter(name => name in properties), ...Object.keys(properties)][0];
  if (first && !Object.values(result).some(field => isJsonObject(field) && 'ui:autofocus' in field)) {
    result[first] = { ...(result[first] as object), 'ui:autofocus': true };
  }
  return result;
}

/** Names of the secret inputs, which are never stored and must be given again on re-run. */
export function secretInputNames(schema: JsonObject): string[] {
  const properties = isJsonObject(schema.properties) ? schema.properties : {};
  return Object.entries(properties)
    .filter(([, property]) => isJsonObject(property) && property.secret === true)
    .map(([name]) => name);
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
