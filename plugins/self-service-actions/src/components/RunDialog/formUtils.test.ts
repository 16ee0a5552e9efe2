import { JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { formUiSchema, secretInputNames } from './formUtils';

const secret = { type: 'string', secret: true };

describe('formUiSchema', () => {
  it('nests password widgets as RJSF reads them: properties, items, additionalProperties, branches', () => {
    const schema: JsonObject = {
      type: 'object',
      properties: {
        db: { type: 'object', properties: { host: { type: 'string' }, password: secret } },
        tokens: { type: 'array', items: secret },
        servers: { type: 'array', items: { type: 'object', properties: { token: secret } } },
        env: { type: 'object', additionalProperties: secret },
        creds: { type: 'object', secret: true, properties: { user: { type: 'string' }, admin: { type: 'boolean' } } },
        auth: { oneOf: [{ type: 'object', properties: { pin: secret } }, { type: 'object', properties: { user: { type: 'string' } } }] },
      },
      if: { properties: { db: { required: ['host'] } } },
      then: { properties: { key: secret } },
    };
    const ui = formUiSchema(schema, { db: { host: { 'ui:placeholder': 'db.example.com' } } });
    expect(ui).toEqual({
      db: {
        'ui:autofocus': true,
        host: { 'ui:placeholder': 'db.example.com' },
        password: { 'ui:widget': 'password' },
      },
      tokens: { items: { 'ui:widget': 'password' } },
      servers: { items: { token: { 'ui:widget': 'password' } } },
      env: { additionalProperties: { 'ui:widget': 'password' } },
      // Everything below a secret object is secret; a checkbox cannot hide its value.
      creds: { user: { 'ui:widget': 'password' } },
      auth: { pin: { 'ui:widget': 'password' } },
      key: { 'ui:widget': 'password' },
    });
    expect(secretInputNames(schema)).toEqual(['db.password', 'tokens[]', 'servers[].token', 'env.*', 'creds', 'auth.pin', 'key']);
  });
});
