import { readConfiguredActions, sampleActionConfig } from '../testing/sampleAction';
import { secretInputNames, unlocatableSecrets } from './secretPaths';

const secret = { type: 'string', secret: true };

function readWithInputs(userInputs: object, extra: object = {}) {
  return readConfiguredActions({ actions: [{ ...sampleActionConfig, userInputs, ...extra }] })[0];
}

describe('secret paths', () => {
  it('finds secrets at any depth and names them for the approval refusal', () => {
    const action = readWithInputs({
      type: 'object',
      properties: {
        db: { type: 'object', properties: { password: secret } },
        servers: { type: 'array', items: { type: 'object', properties: { token: secret } } },
        env: { type: 'object', additionalProperties: secret },
      },
      anyOf: [{ properties: { pin: secret } }, { properties: { note: { type: 'string' } } }],
    });
    expect(action.secretPaths).toEqual(['db.password', 'servers[].token', 'env.*', 'pin']);
    expect(() =>
      readWithInputs(
        { type: 'object', properties: { db: { type: 'object', properties: { password: secret } } } },
        { approval: { approvers: ['group:default/sre'] } },
      ),
    ).toThrow(
      'Invalid self-service action "restart-service": selfServiceActions.actions field "approval" cannot be combined with secret inputs (db.password)',
    );
  });

  it('accepts schemas whose secrets can be located, and $refs to schemas without secrets', () => {
    expect(
      readWithInputs({
        type: 'object',
        definitions: { name: { type: 'string', minLength: 1 } },
        properties: {
          name: { $ref: '#/definitions/name' },
          tags: { type: 'array', contains: { const: 'prod' } },
          key: secret,
        },
        not: { required: ['forbidden'] },
      }).secretPaths,
    ).toEqual(['key']);
    expect(unlocatableSecrets({ type: 'object', properties: { a: { $ref: 'https://elsewhere/x' } } })).toEqual([]);
  });

  it.each([
    ['the whole input', { type: 'object', secret: true, properties: {} }, 'userInputs.secret'],
    ['not', { type: 'object', properties: { a: { not: secret } } }, 'userInputs.properties.a.not'],
    [
      'contains',
      { type: 'object', properties: { a: { type: 'array', contains: { type: 'object', properties: { t: secret } } } } },
      'userInputs.properties.a.contains',
    ],
    ['propertyNames', { type: 'object', properties: { a: { type: 'object', propertyNames: { secret: true } } } }, 'userInputs.properties.a.propertyNames'],
    [
      'a tuple',
      { type: 'object', properties: { a: { type: 'array', items: [{ type: 'string' }, secret], minItems: 2, additionalItems: false } } },
      'userInputs.properties.a.items.1',
    ],
    [
      'additionalItems',
      { type: 'object', properties: { a: { type: 'array', items: [{ type: 'string' }], additionalItems: secret } } },
      'userInputs.properties.a.additionalItems',
    ],
    [
      'a $ref to a definition holding a secret',
      { type: 'object', definitions: { creds: { type: 'object', properties: { p: secret } } }, properties: { c: { $ref: '#/definitions/creds' } } },
      'userInputs.properties.c.$ref',
    ],
    [
      'a $ref to a secret property',
      { type: 'object', properties: { a: secret, b: { $ref: '#/properties/a' } } },
      'userInputs.properties.b.$ref',
    ],
    [
      'a $ref through another $ref, inside allOf',
      {
        type: 'object',
        definitions: { inner: secret, outer: { $ref: '#/definitions/inner' } },
        allOf: [{ properties: { x: { $ref: '#/definitions/outer' } } }],
      },
      'userInputs.allOf.0.properties.x.$ref',
    ],
    [
      'a $ref that cannot be resolved here, in a schema with secrets',
      { $id: 'https://example.com/inputs', type: 'object', definitions: { k: { $id: '#key', type: 'string' } }, properties: { a: secret, b: { $ref: '#key' } } },
      'userInputs.properties.b.$ref',
    ],
    [
      'not, nested in an array item and a oneOf branch',
      { type: 'object', properties: { a: { type: 'array', items: { oneOf: [{ type: 'string' }, { not: { properties: { p: secret } } }] } } } },
      'userInputs.properties.a.items.oneOf.1.not',
    ],
  ])('refuses a secret in %s at start-up, naming the action and the path', (_, userInputs, path) => {
    expect(() => readWithInputs(userInputs)).toThrow(
      `Invalid self-service action "restart-service": selfServiceActions.actions field "${path}"`,
    );
  });

  it('names the top-level inputs that are or hold a secret, for invokers', () => {
    const schema = {
      type: 'object',
      properties: { db: { type: 'object', properties: { host: { type: 'string' }, password: secret } }, note: { type: 'string' }, key: secret },
      additionalProperties: { type: 'object', properties: { token: secret } },
    };
    expect(secretInputNames(schema, { note: 'n', extra: { token: 't' } })).toEqual(['db', 'key', 'extra']);
  });
});
