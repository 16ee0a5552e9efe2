import { isDatabaseUnavailable } from './unavailable';

describe('isDatabaseUnavailable', () => {
  it('knows the errors of a database that cannot be reached right now', () => {
    const coded = (code: string) => Object.assign(new Error('x'), { code });
    for (const error of [
      coded('ECONNREFUSED'),
      coded('57P01'),
      coded('57P03'),
      coded('08006'),
      coded('53300'),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
      new Error('select 1 - the database system is starting up'),
      new Error('batch failed', { cause: coded('ECONNRESET') }),
      new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], ''),
    ]) {
      expect({ error: String(error), unavailable: isDatabaseUnavailable(error) }).toEqual({ error: String(error), unavailable: true });
    }
  });

  it('leaves every other error alone', () => {
    for (const error of [
      new Error('boom'),
      Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
      Object.assign(new Error('invalid input syntax'), { code: '22P02' }),
      Object.assign(new Error('not found'), { name: 'NotFoundError' }),
      undefined,
      'text',
    ]) {
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
  });
});
