/** Driver error codes that mean "the database cannot be reached or is overloaded right now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  // Only reaches a client once its retries are spent: contention, not a bug.
  'ER_LOCK_DEADLOCK',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
]);

/**
 * True for errors that say the database is down or unreachable, not that the
 * query was wrong: they become 503 DATABASE_UNAVAILABLE instead of a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    if (typeof current !== 'object') return false;
    const { code, driverError, cause, message } = current as {
      code?: unknown;
      driverError?: unknown;
      cause?: unknown;
      message?: unknown;
    };
    if (
      typeof code === 'string' &&
      (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR'))
    ) {
      return true;
    }
    if (
      typeof message === 'string' &&
      /Pool is closed|Connection lost|connect ETIMEDOUT/.test(message)
    ) {
      return true;
    }
    current = driverError ?? cause;
  }
  return false;
}
