import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';
import { isDeadlock, retryOnDeadlock } from './deadlock';

/** What mysql2 hands TypeORM when InnoDB picks a victim or gives up waiting. */
function mysqlError(code: string, errno: number): QueryFailedError {
  return new QueryFailedError('UPDATE …', [], Object.assign(new Error(code), { code, errno }));
}

describe('isDeadlock', () => {
  it('recognises ER_LOCK_DEADLOCK (1213) and ER_LOCK_WAIT_TIMEOUT (1205)', () => {
    expect(isDeadlock(mysqlError('ER_LOCK_DEADLOCK', 1213))).toBe(true);
    expect(isDeadlock(mysqlError('ER_LOCK_WAIT_TIMEOUT', 1205))).toBe(true);
  });

  it('refuses anything else', () => {
    expect(isDeadlock(mysqlError('ER_DUP_ENTRY', 1062))).toBe(false);
    expect(isDeadlock(new Error('Deadlock found when trying to get lock'))).toBe(false);
    expect(isDeadlock(undefined)).toBe(false);
  });
});

describe('retryOnDeadlock', () => {
  it('runs the work again after a deadlock, and returns its result', async () => {
    const work = jest
      .fn<Promise<string>, []>()
      .mockRejectedValueOnce(mysqlError('ER_LOCK_DEADLOCK', 1213))
      .mockRejectedValueOnce(mysqlError('ER_LOCK_WAIT_TIMEOUT', 1205))
      .mockResolvedValue('done');
    const onRetry = jest.fn();

    await expect(retryOnDeadlock(work, { attempts: 3, onRetry })).resolves.toBe('done');

    expect(work).toHaveBeenCalledTimes(3);
    expect(onRetry.mock.calls.map(([attempt]) => attempt as number)).toEqual([1, 2]);
  });

  it('gives up after the given number of attempts with the last deadlock', async () => {
    const deadlock = mysqlError('ER_LOCK_DEADLOCK', 1213);
    const work = jest.fn<Promise<string>, []>().mockRejectedValue(deadlock);

    await expect(retryOnDeadlock(work, { attempts: 3 })).rejects.toBe(deadlock);
    expect(work).toHaveBeenCalledTimes(3);
  });

  it('never retries another error', async () => {
    const duplicate = mysqlError('ER_DUP_ENTRY', 1062);
    const work = jest.fn<Promise<string>, []>().mockRejectedValue(duplicate);

    await expect(retryOnDeadlock(work, { attempts: 5 })).rejects.toBe(duplicate);
    expect(work).toHaveBeenCalledTimes(1);
  });
});

describe('a deadlock that outlasts its retries', () => {
  it('reaches the client as 503 DATABASE_UNAVAILABLE (contention), not as a 500', () => {
    expect(isDatabaseUnavailable(mysqlError('ER_LOCK_DEADLOCK', 1213))).toBe(true);
  });
});
