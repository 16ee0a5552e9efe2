import { inputRows } from './runText';

describe('inputRows', () => {
  it('shows a secret at any depth as ***, and a top-level secret whole', () => {
    const schema = {
      type: 'object',
      properties: {
        db: { type: 'object', title: 'Database', properties: { host: { type: 'string' }, password: { type: 'string', secret: true } } },
        servers: { type: 'array', items: { type: 'object', properties: { token: { type: 'string', secret: true } } } },
        key: { type: 'string', secret: true },
        note: { type: 'string' },
      },
    };
    const rows = inputRows(
      { note: 'hi', key: 'top', db: { host: 'db1', password: 'pw' }, servers: [{ name: 'a', token: 't' }] },
      schema,
    );
    expect(rows).toEqual([
      { name: 'db', title: 'Database', value: '{"host":"db1","password":"***"}' },
      { name: 'servers', title: 'servers', value: '[{"name":"a","token":"***"}]' },
      { name: 'key', title: 'key', value: '***' },
      { name: 'note', title: 'note', value: 'hi' },
    ]);
  });
});
