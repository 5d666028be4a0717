import { Clock } from '../common/clock';
import type { AccessTokenService } from './access-token.service';
import type { WechatApp } from './wechat-app';
import {
  isTransientWechatError,
  WechatCodeInvalidError,
  WechatTokenRejectedError,
} from './wechat.errors';

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
  { retryTransient = true }: { retryTransient?: boolean } = {},
): Promise<T> {
  const deadline = clock.now() + timeoutMs + RETRY_BUDGET_MS;
  try {
    return await attempt(() => Math.min(timeoutMs, deadline - clock.now()));
  } catch (error) {
    if (retryTransient && isTransientWechatError(error)) {
      await clock.sleep(Math.round(RETRY_BACKOFF_MS * (1 + Math.random())));
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

/**
 * A business call (getuserphonenumber, msg_sec_check) with the app's held
 * access token. A rejected token (40001/40014/42001) is dropped only if it is
 * still the held one — a late report about an older token must not throw away
 * a fresh one — and the call is retried once with the next token.
 * `retryTransient: false` for calls whose outage is answered without waiting.
 */
export function callWithHeldToken<T>(
  accessTokens: Pick<AccessTokenService, 'getToken' | 'invalidate'>,
  clock: Clock,
  timeoutMs: number,
  app: WechatApp,
  call: (accessToken: string, timeoutMs: number) => Promise<T>,
  options: { retryTransient?: boolean } = {},
): Promise<T> {
  let token = '';
  return callWithOneRetry(
    clock,
    timeoutMs,
    async (timeLeft) => {
      token = await accessTokens.getToken(app);
      return call(token, timeLeft());
    },
    async (error) => {
      if (!(error instanceof WechatTokenRejectedError)) return false;
      await accessTokens.invalidate(app, token);
      return true;
    },
    options,
  );
}
