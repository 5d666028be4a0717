import { QueryFailedError } from 'typeorm';

/** MySQL/MariaDB chose this transaction as a deadlock victim (ER_LOCK_DEADLOCK, errno 1213): it may be retried. */
export function isDeadlock(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: unknown; errno?: unknown };
  return driverError.code === 'ER_LOCK_DEADLOCK' || driverError.errno === 1213;
}
