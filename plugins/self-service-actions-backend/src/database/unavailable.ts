/**
 * Errors that say the database cannot be reached right now (a restart, a failover, a full
 * connection pool) rather than that a request is wrong: answered 503 with Retry-After, so that
 * clients retry, instead of 500.
 */
const UNAVAILABLE_CODES = new Set([
  // the socket to the server
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, connection exceptions,
  // too_many_connections
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
]);

// What node-postgres and Knex say without a code when a connection dies or none can be had.
const UNAVAILABLE_MESSAGES =
  /Connection terminated|Client has encountered a connection error|Connection is closed|Timeout acquiring a connection|the database system is (starting up|shutting down)/i;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) {
    return false;
  }
  const { code, name, message, cause, errors } = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  return (
    (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) ||
    name === 'KnexTimeoutError' ||
    (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) ||
    isDatabaseUnavailable(cause, depth + 1) ||
    // Node reports a refused connection to every address of a name as one AggregateError
    (Array.isArray(errors) && errors.some(inner => isDatabaseUnavailable(inner, depth + 1)))
  );
}
