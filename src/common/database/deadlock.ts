import { setTimeout as sleep } from 'node:timers/promises';
import { QueryFailedError } from 'typeorm';

/** MySQL/MariaDB: ER_LOCK_DEADLOCK and ER_LOCK_WAIT_TIMEOUT. */
const LOCK_CONFLICT_ERRNOS = new Set([1213, 1205]);
const LOCK_CONFLICT_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/**
 * InnoDB rolled the transaction back to break a lock cycle, or gave up
 * waiting for a lock. Nothing was written: running the whole transaction
 * again is safe and is what MySQL's manual prescribes.
 */
export function isDeadlock(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: unknown; errno?: unknown } | undefined;
  return (
    LOCK_CONFLICT_ERRNOS.has(Number(driverError?.errno)) ||
    LOCK_CONFLICT_CODES.has(String(driverError?.code))
  );
}

export interface DeadlockRetry {
  /** Runs in all, the first included. */
  attempts: number;
  /** Told before each new attempt. */
  onRetry?: (attempt: number, error: unknown) => void;
}

/**
 * Runs `work` (one whole transaction) again when InnoDB chose it as a
 * deadlock victim, a bounded number of times with a short jittered pause so
 * the racers do not collide again in lockstep. Any other error, and the last
 * deadlock, is thrown as is.
 */
export async function retryOnDeadlock<T>(
  work: () => Promise<T>,
  { attempts, onRetry }: DeadlockRetry,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isDeadlock(error)) throw error;
      onRetry?.(attempt, error);
      await sleep(5 * attempt + Math.random() * 20 * attempt);
    }
  }
}
