import { Clock } from '../common/clock';
import { isTransientWechatError, WechatCodeInvalidError } from './wechat.errors';

/** Extra time a login may spend on a retry beyond one call's timeout. */
export const RETRY_BUDGET_MS = 1000;
/** Backoff before retrying WeChat's -1 (busy) or a network error. */
const RETRY_BACKOFF_MS = 100;
/** A retry with less time left than this could not get an answer anyway. */
const MIN_RETRY_MS = 100;

/**
 * One call and at most one retry, both inside one budget (one call's timeout
 * plus RETRY_BUDGET_MS): the retry only gets what is left, never a fresh
 * timeout. Busy (-1) and transport failures are retried after a short
 * backoff; `mayRetry` decides about anything else (it may also prepare the
 * retry, e.g. drop a rejected token). Bad codes and quota errors never are.
 *
 * `attempt` receives a function giving the milliseconds it may still take;
 * it calls it just before the WeChat call, after any token fetch, so a slow
 * fetch counts against the budget too.
 */
export async function callWithOneRetry<T>(
  clock: Clock,
  timeoutMs: number,
  attempt: (timeLeft: () => number) => Promise<T>,
  mayRetry: (error: unknown) => Promise<boolean> = () => Promise.resolve(false),
): Promise<T> {
  const deadline = clock.now() + timeoutMs + RETRY_BUDGET_MS;
  try {
    return await attempt(() => Math.min(timeoutMs, deadline - clock.now()));
  } catch (error) {
    if (isTransientWechatError(error)) {
      await sleep(RETRY_BACKOFF_MS * (1 + Math.random()));
    } else if (!(await mayRetry(error))) {
      throw error;
    }
    try {
      return await attempt(() => {
        const left = deadline - clock.now();
        if (left < MIN_RETRY_MS) throw error;
        return Math.min(timeoutMs, left);
      });
    } catch (retryError) {
      // A call that timed out may still have reached WeChat and spent the
      // code: the retry's "code already used" is then WeChat's slowness, not
      // the user's code, so the client hears about the outage (503).
      if (retryError instanceof WechatCodeInvalidError && isTransientWechatError(error)) {
        throw error;
      }
      throw retryError;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
