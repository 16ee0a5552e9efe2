import { JsonObject } from './json';
import {
  hasSecretInputValues,
  maskSecretInputs,
  secretInputPaths,
  secretInputValues,
  stripSecretInputs,
} from './secretInputs';

const secret = { type: 'string', secret: true };

/** One case per construct: the schema, inputs with a secret, what may be kept, where the secret stands. */
const cases: Array<[string, JsonObject, JsonObject, JsonObject, string[]]> = [
  [
    'a top-level property',
    { type: 'object', properties: { key: secret, note: { type: 'string' } } },
    { key: 's3cret-top', note: 'hi' },
    { note: 'hi' },
    ['key'],
  ],
  [
    'a nested object',
    { type: 'object', properties: { db: { type: 'object', properties: { host: { type: 'string' }, password: secret } } } },
    { db: { host: 'db1', password: 's3cret-nested' } },
    { db: { host: 'db1' } },
    ['db.password'],
  ],
  [
    'array items that are objects',
    { type: 'object', properties: { servers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, token: secret } } } } },
    { servers: [{ name: 'a', token: 's3cret-item-1' }, { name: 'b', token: 's3cret-item-2' }] },
    { servers: [{ name: 'a' }, { name: 'b' }] },
    ['servers[].token'],
  ],
  [
    'array items that are secret',
    { type: 'object', properties: { tokens: { type: 'array', items: secret } } },
    { tokens: ['s3cret-a', 's3cret-b'] },
    { tokens: [] },
    ['tokens[]'],
  ],
  [
    'a secret object (everything below it)',
    { type: 'object', properties: { creds: { type: 'object', secret: true, properties: { user: { type: 'string' } } } } },
    { creds: { user: 's3cret-user', extra: ['s3cret-deep'] } },
    {},
    ['creds'],
  ],
  [
    'allOf',
    { type: 'object', allOf: [{ properties: { key: secret } }, { properties: { note: { type: 'string' } } }] },
    { key: 's3cret-allof', note: 'hi' },
    { note: 'hi' },
    ['key'],
  ],
  [
    'anyOf (secret in one branch only)',
    { type: 'object', properties: { auth: { anyOf: [{ type: 'string' }, { type: 'object', properties: { pin: secret } }] } } },
    { auth: { pin: 's3cret-anyof', user: 'u' } },
    { auth: { user: 'u' } },
    ['auth.pin'],
  ],
  [
    'oneOf (a value secret in any branch is secret)',
    { type: 'object', properties: { login: { oneOf: [{ type: 'string', secret: true }, { type: 'integer' }] } } },
    { login: 's3cret-oneof' },
    {},
    ['login'],
  ],
  [
    'if/then/else',
    {
      type: 'object',
      properties: { kind: { type: 'string' } },
      if: { properties: { kind: { const: 'token' } } },
      then: { properties: { token: secret } },
      else: { properties: { password: secret } },
    },
    { kind: 'token', token: 's3cret-then', password: 's3cret-else' },
    { kind: 'token' },
    ['token', 'password'],
  ],
  [
    'additionalProperties',
    { type: 'object', properties: { env: { type: 'object', properties: { region: { type: 'string' } }, additionalProperties: secret } } },
    { env: { region: 'eu', API_KEY: 's3cret-additional' } },
    { env: { region: 'eu' } },
    ['env.*'],
  ],
  [
    'patternProperties',
    { type: 'object', properties: { vars: { type: 'object', patternProperties: { '^SECRET_': secret, '^PLAIN_': { type: 'string' } } } } },
    { vars: { SECRET_A: 's3cret-pattern', PLAIN_B: 'b' } },
    { vars: { PLAIN_B: 'b' } },
    ['vars./^SECRET_/'],
  ],
  [
    'dependencies (schema form)',
    { type: 'object', properties: { user: { type: 'string' } }, dependencies: { user: { properties: { pass: secret } } } },
    { user: 'u', pass: 's3cret-dependency' },
    { user: 'u' },
    ['pass'],
  ],
];

describe('secret inputs at any depth', () => {
  it.each(cases)('strips, masks and collects a secret in %s', (_, schema, inputs, kept, paths) => {
    const before = JSON.stringify(inputs);
    expect(stripSecretInputs(schema, inputs)).toEqual(kept);
    expect(JSON.stringify(inputs)).toBe(before);
    expect(secretInputPaths(schema)).toEqual(paths);
    expect(hasSecretInputValues(schema, inputs)).toBe(true);
    const values = secretInputValues(schema, inputs);
    expect(values.length).toBeGreaterThan(0);
    expect(values.every(value => value.startsWith('s3cret-'))).toBe(true);
    expect(before.match(/s3cret-[\w-]+/g)!.sort()).toEqual([...values].sort());
    const masked = JSON.stringify(maskSecretInputs(schema, inputs));
    expect(masked).not.toMatch(/s3cret/);
    expect(masked).toContain('"***"');
  });

  it('keeps a value that is secret in no branch and knows when no secret was given', () => {
    const [, schema] = cases[8];
    expect(hasSecretInputValues(schema, { kind: 'token' })).toBe(false);
    expect(secretInputValues(schema, { kind: 'other' })).toEqual([]);
    const plain = { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } };
    expect(secretInputPaths(plain)).toEqual([]);
    expect(stripSecretInputs(plain, { a: { b: 'x' }, c: [1] })).toEqual({ a: { b: 'x' }, c: [1] });
  });

  it('takes additionalProperties only for keys no property or pattern names, per schema', () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' } },
      patternProperties: { '^x-': { type: 'string' } },
      additionalProperties: secret,
      allOf: [{ properties: { other: { type: 'string' } } }],
    };
    // `other` is named by a branch but is additional to the schema holding the secret.
    expect(stripSecretInputs(schema, { name: 'n', 'x-a': 'a', other: 'o', loose: 'l' })).toEqual({ name: 'n', 'x-a': 'a' });
  });

  it('collects numbers and booleans as text and ignores a schema that is not an object', () => {
    const schema = { type: 'object', properties: { pin: { type: 'integer', secret: true }, on: { type: 'boolean', secret: true } } };
    expect(secretInputValues(schema, { pin: 123456, on: true })).toEqual(['123456', 'true']);
    expect(stripSecretInputs(undefined, { pin: 1 })).toEqual({ pin: 1 });
    expect(secretInputPaths(true)).toEqual([]);
  });
});
