import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { InputError } from '@backstage/errors';
import { JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { isStorableTime } from '../database/rows';

/** One input problem, addressed by JSON pointer-ish dotted path (empty for the root). */
export interface FieldError {
  path: string;
  message: string;
}

/** Creates the ajv instance used for both action inputs and status reports. */
export function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strictTypes: false,
    strictRequired: false,
    allowUnionTypes: true,
  });
  addFormats(ajv);
  // RFC 3339 allows a leap second (23:59:60), JavaScript's Date does not: such a timestamp
  // would become an invalid date and be stored as nothing. Valid only if Date can hold it.
  const rfc3339 = ajv.formats['date-time'] as { validate(value: string): boolean; compare: unknown };
  ajv.addFormat('date-time', {
    type: 'string',
    // And only times both databases hold (years 1 to 9999 in UTC): PostgreSQL refuses others.
    validate: (value: string) => rfc3339.validate(value) && isStorableTime(Date.parse(value)),
    compare: rfc3339.compare as (a: string, b: string) => number | undefined,
  });
  // Annotations that forms and this plugin use; they do not constrain values.
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'enumNames', schemaType: 'array' });
  return ajv;
}

/** Turns ajv errors into `{ path, message }` pairs a form can place on its fields. */
export function toFieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map(error => {
    const segments = error.instancePath
      .split('/')
      .slice(1)
      .map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') {
      segments.push(String(error.params.additionalProperty));
      message = 'is not a known field';
    } else if (error.keyword === 'required') {
      segments.push(String(error.params.missingProperty));
      message = 'is required';
    }
    return { path: segments.join('.'), message };
  });
}

/** An `InputError` whose body carries `fieldErrors` (the error serializer keeps own fields). */
export function inputErrorWithFields(message: string, fieldErrors: FieldError[]): InputError {
  const detail = fieldErrors
    .map(e => (e.path ? `${e.path} ${e.message}` : e.message))
    .join('; ');
  return Object.assign(new InputError(detail ? `${message}: ${detail}` : message), {
    fieldErrors,
  });
}

/**
 * Compiles an action's input schema. Unless the schema decides otherwise, unknown keys are
 * refused: a misspelt input would otherwise reach the webhook unnoticed.
 */
export function compileInputSchema(ajv: Ajv, schema: JsonObject): ValidateFunction {
  const closed =
    schema.additionalProperties === undefined
      ? { ...schema, additionalProperties: false }
      : schema;
  return ajv.compile(closed);
}
