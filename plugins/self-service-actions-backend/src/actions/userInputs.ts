import { isJsonObject, JsonObject, JsonValue } from '@self-service-actions/plugin-self-service-actions-common';

/** Input types of the configure8-style list form of `userInputs`. */
const LIST_INPUT_TYPES = [
  'text',
  'textarea',
  'number',
  'boolean',
  'select',
  'multiselect',
  'date',
  'url',
  'email',
  'entity',
  'secret',
] as const;

type ListInputType = (typeof LIST_INPUT_TYPES)[number];

/** The JSON Schema and uiSchema equivalent to a list of inputs. */
export interface ConvertedInputs {
  schema: JsonObject;
  uiSchema: JsonObject;
}

function optionValues(input: JsonObject, field: string): JsonValue[] {
  const options = input.options;
  if (!Array.isArray(options) || options.length === 0) {
    throw new Error(`${field}.options must be a non-empty list`);
  }
  // configure8 accepts plain values or { label, value } pairs
  return options.map(option =>
    isJsonObject(option) && 'value' in option ? option.value : option,
  );
}

function propertyFor(
  type: ListInputType,
  input: JsonObject,
  field: string,
): { property: JsonObject; ui?: JsonObject } {
  switch (type) {
    case 'text':
      return { property: { type: 'string' } };
    case 'textarea':
      return { property: { type: 'string' }, ui: { 'ui:widget': 'textarea' } };
    case 'number':
      return { property: { type: 'number' } };
    case 'boolean':
      return { property: { type: 'boolean' } };
    case 'select':
      return { property: { enum: optionValues(input, field) } };
    case 'multiselect':
      return {
        property: {
          type: 'array',
          uniqueItems: true,
          items: { enum: optionValues(input, field) },
        },
      };
    case 'date':
      return { property: { type: 'string', format: 'date' } };
    case 'url':
      return { property: { type: 'string', format: 'uri' } };
    case 'email':
      return { property: { type: 'string', format: 'email' } };
    case 'entity':
      return { property: { type: 'string' }, ui: { 'ui:field': 'EntityPicker' } };
    case 'secret':
      return {
        property: { type: 'string', secret: true },
        ui: { 'ui:widget': 'password' },
      };
    default:
      throw new Error(`${field}.type is unknown`);
  }
}

/**
 * Turns configure8's list of inputs into the equivalent JSON Schema. Inputs are required
 * unless they say `required: false`, as in configure8.
 */
export function convertInputList(list: JsonValue[]): ConvertedInputs {
  const properties: JsonObject = {};
  const required: string[] = [];
  const uiSchema: JsonObject = {};
  list.forEach((input, index) => {
    const field = `userInputs[${index}]`;
    if (!isJsonObject(input)) {
      throw new Error(`${field} must be an object`);
    }
    const type = input.type;
    if (typeof type !== 'string' || !(LIST_INPUT_TYPES as readonly string[]).includes(type)) {
      throw new Error(
        `${field}.type must be one of ${LIST_INPUT_TYPES.join(', ')}`,
      );
    }
    if (typeof input.title !== 'string' || !input.title) {
      throw new Error(`${field}.title is required`);
    }
    const name =
      typeof input.payloadName === 'string' && input.payloadName
        ? input.payloadName
        : input.title.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) =>
            c ? c.toUpperCase() : '',
          ).replace(/^./, c => c.toLowerCase());
    if (name in properties) {
      throw new Error(`${field} repeats the input name "${name}"`);
    }
    const { property, ui } = propertyFor(type as ListInputType, input, field);
    property.title = input.title;
    if (typeof input.helpText === 'string') {
      property.description = input.helpText;
    }
    if (input.default !== undefined) {
      property.default = input.default;
    }
    properties[name] = property;
    if (ui) {
      uiSchema[name] = ui;
    }
    if (input.required !== false) {
      required.push(name);
    }
  });
  return { schema: { type: 'object', required, properties }, uiSchema };
}
