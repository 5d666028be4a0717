import { Clock } from '../common/clock';
import { AccessTokenService } from './access-token.service';
import { isTransientWechatError, WechatTokenRejectedError } from './wechat.errors';

/** Backoff before retrying WeChat's -1 (busy) or a network error. */
const RETRY_BACKOFF_MS = 100;

/** The least time worth giving a retry; with less left, the first failure stands. */
const MIN_RETRY_MS = 100;

export interface TokenCallBudget {
  appId: string;
  /** One call's timeout (WECHAT_TIMEOUT_MS). */
  timeoutMs: number;
  /** Clock time after which no retry starts: the caller's whole budget. */
  deadline: number;
  /** Also retry once after busy (-1) or a transport failure, not only after a rejected token. */
  retryTransient: boolean;
  /** The error to surface when the retry fails too (default: the retry's). */
  pickError?: (first: unknown, retry: unknown) => unknown;
}

/**
 * Runs a WeChat business call with the app's held access token. A rejected
 * token (40001/40014/42001) is dropped only if it is still the held one (a
 * late report about an older token must not throw away a fresh one), a new
 * one is obtained and the call retried once. The retry only gets what is left
 * of the budget, never a fresh timeout.
 */
export async function callWithHeldToken<T>(
  accessTokens: Pick<AccessTokenService, 'getToken' | 'invalidate'>,
  clock: Clock,
  call: (accessToken: string, timeoutMs: number) => Promise<T>,
  budget: TokenCallBudget,
): Promise<T> {
  const { appId, timeoutMs, deadline } = budget;
  const token = await accessTokens.getToken(appId);
  try {
    // Waiting for a token fetch counts against the budget too.
    return await call(token, Math.min(timeoutMs, deadline - clock.now()));
  } catch (error) {
    if (error instanceof WechatTokenRejectedError) {
      await accessTokens.invalidate(token, appId);
    } else if (budget.retryTransient && isTransientWechatError(error)) {
      await sleep(RETRY_BACKOFF_MS * (1 + Math.random()));
    } else {
      throw error;
    }
    // The token fetch above may have eaten into the budget: measure after it.
    const retryToken = await accessTokens.getToken(appId);
    const left = deadline - clock.now();
    if (left < MIN_RETRY_MS) throw error;
    try {
      return await call(retryToken, Math.min(timeoutMs, left));
    } catch (retryError) {
      throw budget.pickError ? budget.pickError(error, retryError) : retryError;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
