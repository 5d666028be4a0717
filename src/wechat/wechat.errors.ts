import { AppError } from '../common/app-error';

/**
 * The typed errors WeChat's answers become. Which errcode becomes which error
 * depends on the endpoint (see `wechat-errcodes.ts`). Every class is an
 * AppError, so the global exception filter already knows the HTTP answer for
 * each. WeChat's `errmsg` is logged once where the answer arrives and never
 * travels in these errors: it must not reach a client.
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

/** 40001 / 40014 / 42001 on a business API: the access token we presented is invalid or expired. Drop it and retry once. */
export class WechatTokenRejectedError extends AppError {
  constructor(readonly errcode: number) {
    super('WECHAT_UNAVAILABLE', 'WeChat rejected our access token; try again shortly', {
      retryAfterSec: 1,
    });
  }
}

/** -1: WeChat is busy. Retried once with a short backoff. */
export class WechatBusyError extends AppError {
  readonly errcode = -1;

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

/**
 * WeChat refused our AppID, AppSecret or server IP (on the token endpoints:
 * 40001, 40002, 40013, 40125, 40164, 41002, 41004, 48001, 89503). Nothing a
 * client does helps; an operator must act, and `hint` says what to check.
 */
export class WechatMisconfiguredError extends AppError {
  constructor(
    readonly errcode: number,
    readonly hint: string,
    retryAfterSec: number,
  ) {
    super(
      'WECHAT_MISCONFIGURED',
      'The server cannot authenticate to WeChat; the operator has been alerted',
      { retryAfterSec: Math.max(1, Math.ceil(retryAfterSec)) },
    );
  }

  /** The same failure, answered again later with the time left until the next attempt. */
  retryingIn(retryAfterSec: number): WechatMisconfiguredError {
    return new WechatMisconfiguredError(this.errcode, this.hint, retryAfterSec);
  }
}

/** 40226 on jscode2session: WeChat blocked this user as high-risk. Never retried. */
export class WechatUserBlockedError extends AppError {
  readonly errcode = 40226;

  constructor() {
    super(
      'WECHAT_USER_BLOCKED',
      'WeChat has blocked this account from logging in to mini-programs',
    );
  }
}

/**
 * 61010 on msg_sec_check: WeChat has not seen this openid in the last 2 hours,
 * so it will not check content for it. Callers accept the content and log it.
 */
export class WechatOpenidNotRecentError extends AppError {
  readonly errcode = 61010;

  constructor() {
    super('WECHAT_UNAVAILABLE', 'WeChat cannot check content for this user right now', {
      retryAfterSec: 60,
    });
  }
}

/** An answer that is not what WeChat documents (bad JSON, missing fields, another app's watermark). Never trusted. */
export class WechatBadResponseError extends AppError {
  constructor(readonly reason: string) {
    super('WECHAT_BAD_RESPONSE', 'WeChat returned an answer we cannot trust');
  }
}

/** An errcode WeChat does not document for the endpoint that answered it. */
export class WechatUnexpectedErrcodeError extends WechatBadResponseError {
  constructor(readonly errcode: number) {
    super(`unexpected errcode ${errcode}`);
  }
}

/** Errors worth one more attempt within the login's time budget. */
export function isTransientWechatError(error: unknown): boolean {
  return error instanceof WechatBusyError || error instanceof WechatUnreachableError;
}
