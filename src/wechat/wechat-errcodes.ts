import { AppError } from '../common/app-error';
import {
  WechatBusyError,
  WechatCodeInvalidError,
  WechatMisconfiguredError,
  WechatOpenidNotRecentError,
  WechatQuotaError,
  WechatTokenRejectedError,
  WechatUnexpectedErrcodeError,
  WechatUnreachableError,
  WechatUserBlockedError,
} from './wechat.errors';

/** The WeChat endpoints this backend calls, by the names the simulator's faults also use. */
export const WECHAT_ENDPOINTS = {
  token: '/cgi-bin/token',
  stable_token: '/cgi-bin/stable_token',
  getuserphonenumber: '/wxa/business/getuserphonenumber',
  jscode2session: '/sns/jscode2session',
  msg_sec_check: '/wxa/msg_sec_check',
} as const;

export type WechatEndpoint = keyof typeof WECHAT_ENDPOINTS;

/** How long a token fetch WeChat refused as misconfigured is answered from memory before it is tried again. */
export const MISCONFIGURED_RETRY_SEC = 60;

/**
 * What an operator should check, per errcode WeChat gives on the token
 * endpoints (and on jscode2session, which also carries the AppSecret).
 */
export const MISCONFIGURED_HINTS: Readonly<Record<number, string>> = {
  40001:
    'WeChat says the AppSecret is wrong or belongs to another app: check WECHAT_SECRET (a reset in the console replaces it)',
  40002:
    'WeChat refused grant_type: check that WECHAT_API_BASE_URL reaches WeChat, through a proxy that forwards requests unchanged',
  40013: "WeChat says the AppID is invalid: check WECHAT_APPID (the mini-program's AppID, wx…)",
  40125:
    'WeChat says the AppSecret is invalid: check WECHAT_SECRET (a reset in the console replaces it)',
  40164:
    "this server's egress IP is not on the app's IP allow-list: add the IP WeChat names in errmsg in the mini-program console (Development settings)",
  41002:
    'WeChat received no appid: check WECHAT_APPID and that a proxy at WECHAT_API_BASE_URL forwards the query and body unchanged',
  41004:
    'WeChat received no secret: check WECHAT_SECRET and that a proxy at WECHAT_API_BASE_URL forwards the query and body unchanged',
  48001:
    "this AppID may not call the token API: check that WECHAT_APPID is the mini-program's AppID and the account's API permissions",
  89503:
    "this server's IP awaits an administrator's confirmation: an admin must confirm it in the mini-program console (or the confirmation message WeChat sent)",
};

/** What an errcode means for us. */
type Meaning =
  | 'busy'
  | 'token-rejected'
  | 'code-invalid'
  | 'quota'
  | 'misconfigured'
  | 'user-blocked'
  | 'openid-not-recent';

/** Both token endpoints answer the same errcodes with the same meaning. 40001 here is a wrong AppSecret, not a bad token. */
const TOKEN_ENDPOINT: Readonly<Record<number, Meaning>> = {
  [-1]: 'busy',
  40001: 'misconfigured',
  40002: 'misconfigured',
  40013: 'misconfigured',
  40125: 'misconfigured',
  40164: 'misconfigured',
  41002: 'misconfigured',
  41004: 'misconfigured',
  48001: 'misconfigured',
  89503: 'misconfigured',
  45009: 'quota',
  45011: 'quota',
};

/**
 * The one table: endpoint × errcode → meaning. The same errcode means
 * different things on different endpoints (40001 is a bad AppSecret on the
 * token endpoints, a stale access token everywhere else). An errcode not
 * listed for its endpoint is an answer we cannot trust (502).
 */
export const WECHAT_ERRCODES: Readonly<Record<WechatEndpoint, Readonly<Record<number, Meaning>>>> =
  {
    token: TOKEN_ENDPOINT,
    stable_token: TOKEN_ENDPOINT,
    getuserphonenumber: {
      [-1]: 'busy',
      40001: 'token-rejected',
      40014: 'token-rejected',
      42001: 'token-rejected',
      40029: 'code-invalid',
      40163: 'code-invalid',
      40013: 'misconfigured',
      45009: 'quota',
      45011: 'quota',
    },
    jscode2session: {
      [-1]: 'busy',
      40029: 'code-invalid',
      40163: 'code-invalid',
      40226: 'user-blocked',
      45011: 'quota',
      40013: 'misconfigured',
      40125: 'misconfigured',
    },
    msg_sec_check: {
      [-1]: 'busy',
      40001: 'token-rejected',
      40014: 'token-rejected',
      42001: 'token-rejected',
      45009: 'quota',
      61010: 'openid-not-recent',
    },
  };

/** The typed error for a non-zero errcode from `endpoint`. */
export function wechatErrorFor(endpoint: WechatEndpoint, errcode: number): AppError {
  switch (WECHAT_ERRCODES[endpoint][errcode]) {
    case 'busy':
      return new WechatBusyError();
    case 'token-rejected':
      return new WechatTokenRejectedError(errcode);
    case 'code-invalid':
      return new WechatCodeInvalidError(errcode);
    case 'quota':
      return new WechatQuotaError(errcode);
    case 'misconfigured':
      return new WechatMisconfiguredError(
        errcode,
        MISCONFIGURED_HINTS[errcode],
        MISCONFIGURED_RETRY_SEC,
      );
    case 'user-blocked':
      return new WechatUserBlockedError();
    case 'openid-not-recent':
      return new WechatOpenidNotRecentError();
    default:
      return new WechatUnexpectedErrcodeError(errcode);
  }
}

/**
 * The errcode label of a failed call: WeChat's errcode when this app knows it
 * (a bounded set, so a WeChat answering random numbers adds no series),
 * `other` when it does not, and a word when there was no errcode at all.
 */
export function errcodeMetricLabel(endpoint: WechatEndpoint, error: unknown): string {
  if (error instanceof WechatUnreachableError) return 'transport';
  const errcode = (error as { errcode?: unknown }).errcode;
  if (typeof errcode === 'number') {
    return errcode in WECHAT_ERRCODES[endpoint] ? String(errcode) : 'other';
  }
  return 'bad_response';
}
