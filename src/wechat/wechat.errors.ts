import { AppError } from '../common/app-error';

/**
 * WeChat's errcodes, turned into typed errors in this one place
 * (CONTRACT §3). Every class is an AppError, so the global exception filter
 * already knows the HTTP answer for each.
 */

/** 40029 / 40163: wrong, expired (5 min) or already used code. Never retried: a code is single-use. */
export class WechatCodeInvalidError extends AppError {
  constructor(readonly errcode: number) {
    super(
      'WECHAT_CODE_INVALID',
      'The WeChat code is invalid, expired or already used; ask the user to tap again',
    );
  }
}

/** 40001 / 40014 / 42001: the access token we presented is invalid or expired. Drop it and retry once. */
export class WechatTokenRejectedError extends AppError {
  constructor(readonly errcode: number) {
    super('WECHAT_UNAVAILABLE', 'WeChat rejected our access token; try again shortly', {
      retryAfterSec: 1,
    });
  }
}

/** -1: WeChat is busy. Retried once with a short backoff. */
export class WechatBusyError extends AppError {
  constructor() {
    super('WECHAT_UNAVAILABLE', 'WeChat is busy; try again shortly', {
      retryAfterSec: 2,
    });
  }
}

/** Network error, timeout, or a non-2xx HTTP status. Retried once within the time budget. */
export class WechatUnreachableError extends AppError {
  constructor(reason: string) {
    super('WECHAT_UNAVAILABLE', `WeChat did not answer: ${reason}`, {
      retryAfterSec: 5,
    });
  }
}

/** 45009 (daily API quota) → 503, 45011 (too frequent) → 429. Never retried: a retry burns more quota. */
export class WechatQuotaError extends AppError {
  constructor(readonly errcode: number) {
    super(
      errcode === 45011 ? 'TOO_MANY_REQUESTS' : 'WECHAT_UNAVAILABLE',
      errcode === 45011
        ? 'WeChat says requests are too frequent; slow down'
        : 'The WeChat API quota for today is used up',
      { retryAfterSec: errcode === 45011 ? 60 : 3600 },
    );
  }
}

/** 40013 / 40125 / 40164: our AppID, secret or server IP is wrong. An operator must act. */
export class WechatMisconfiguredError extends AppError {
  constructor(readonly errcode: number) {
    super(
      'WECHAT_MISCONFIGURED',
      'The server cannot authenticate to WeChat; the operator has been alerted',
      { retryAfterSec: 300 },
    );
  }
}

/** An answer that is not what WeChat documents (bad JSON, missing fields, another app's watermark). Never trusted. */
export class WechatBadResponseError extends AppError {
  constructor(readonly reason: string) {
    super('WECHAT_BAD_RESPONSE', 'WeChat returned an answer we cannot trust');
  }
}

const CODE_INVALID = new Set([40029, 40163]);
const TOKEN_REJECTED = new Set([40001, 40014, 42001]);
const QUOTA = new Set([45009, 45011]);
const MISCONFIGURED = new Set([40013, 40125, 40164]);

/** The typed error for a non-zero errcode. */
export function wechatErrorFor(errcode: number, errmsg: unknown): AppError {
  if (CODE_INVALID.has(errcode)) return new WechatCodeInvalidError(errcode);
  if (TOKEN_REJECTED.has(errcode)) return new WechatTokenRejectedError(errcode);
  if (errcode === -1) return new WechatBusyError();
  if (QUOTA.has(errcode)) return new WechatQuotaError(errcode);
  if (MISCONFIGURED.has(errcode)) return new WechatMisconfiguredError(errcode);
  const text = typeof errmsg === 'string' ? errmsg.slice(0, 200) : '';
  return new WechatBadResponseError(`errcode ${errcode} ${text}`.trim());
}

/** Errors worth one more attempt within the login's time budget. */
export function isTransientWechatError(error: unknown): boolean {
  return error instanceof WechatBusyError || error instanceof WechatUnreachableError;
}
