/**
 * Every machine-readable error `code` the API can return, with its HTTP status.
 * Clients switch on `code`, never on `message` (README, "API"). The OpenAPI
 * document and the global exception filter both read this list.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: {
    status: 400,
    description: 'The body or query is malformed, has a wrong type, or has unknown fields.',
  },
  INVALID_JSON: {
    status: 400,
    description: 'The request body is not valid JSON.',
  },
  UNKNOWN_APPID: {
    status: 400,
    description:
      'The X-WX-AppId header (or the servicewechat.com Referer) names no mini-program this backend serves, or several are served and none was named.',
  },
  REQUEST_REJECTED: {
    status: 400,
    description: 'The request cannot be processed as sent (wrong method, malformed framing).',
  },
  UNAUTHORIZED: {
    status: 401,
    description: 'No, invalid or expired Bearer access token.',
  },
  WECHAT_CODE_INVALID: {
    status: 401,
    description:
      'WeChat rejected the code (40029/40163): wrong, expired (5 min) or already used. Ask the user to tap again.',
  },
  REGISTRATION_TICKET_INVALID: {
    status: 401,
    description:
      'The registration ticket is malformed, expired, already used or not a registration ticket.',
  },
  REFRESH_TOKEN_INVALID: {
    status: 401,
    description: 'The refresh token is unknown, malformed or revoked (logout). Log in again.',
  },
  REFRESH_TOKEN_EXPIRED: {
    status: 401,
    description:
      'The refresh token is past its lifetime (JWT_REFRESH_TTL), or its login is past SESSION_MAX_AGE however often it was refreshed. Log in again.',
  },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    description:
      'A refresh token that was already exchanged was presented again: its whole session family is revoked. Log in again.',
  },
  WECHAT_USER_BLOCKED: {
    status: 403,
    description:
      'WeChat blocked this account as high-risk (jscode2session 40226): it cannot log in to mini-programs for now. Not worth retrying.',
  },
  USER_BLOCKED: {
    status: 403,
    description:
      'The operator of this service blocked this account: every login path, refresh and Bearer route refuses it (access tokens within seconds) until it is unblocked.',
  },
  PHONE_NOT_REGISTERED: {
    status: 404,
    description:
      'WeChat verified the phone but no user has it. Carries phoneNumber, purePhoneNumber, countryCode and a registrationTicket.',
  },
  WECHAT_ACCOUNT_NOT_BOUND: {
    status: 404,
    description:
      'No user is bound to this WeChat account (openid) yet: show the phone button and use phone-login.',
  },
  NOT_FOUND: { status: 404, description: 'No such route or resource.' },
  PHONE_ALREADY_REGISTERED: {
    status: 409,
    description: 'A user with this phone number already exists.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    description: 'The body is over 16 KiB, or an uploaded avatar is over AVATAR_MAX_BYTES.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description:
      'The body is not application/json (multipart/form-data is accepted only by the avatar upload and registration).',
  },
  NICKNAME_REJECTED: {
    status: 422,
    description:
      "WeChat's content security (msg_sec_check) called the nickname risky. Nothing was saved: ask for another nickname.",
  },
  AVATAR_INVALID: {
    status: 422,
    description:
      'The uploaded avatar is not a JPEG, PNG, WebP or GIF image, cannot be decoded (damaged, truncated), or has more than 40 megapixels. Nothing was saved.',
  },
  TOO_MANY_REQUESTS: {
    status: 429,
    description: 'Rate limit reached (ours, or WeChat 45011). See Retry-After.',
  },
  INTERNAL_ERROR: {
    status: 500,
    description: 'An unexpected server error. The log has details under the requestId.',
  },
  WECHAT_BAD_RESPONSE: {
    status: 502,
    description: "WeChat's answer was malformed, or its watermark.appid is not ours.",
  },
  WECHAT_UNAVAILABLE: {
    status: 503,
    description:
      'WeChat is down, timed out, busy after a retry, or out of quota (45009). See Retry-After.',
  },
  WECHAT_MISCONFIGURED: {
    status: 503,
    description:
      "WeChat refused our credentials when we asked for an access token (on the token endpoints: 40001 wrong AppSecret, 40002, 40013 bad AppID, 40125 bad AppSecret, 40164 server IP not on the allow-list, 41002, 41004, 48001, 89503 server IP awaiting the admin's confirmation; on jscode2session: 40013/40125). An operator must fix it; the log names the fix. See Retry-After (the next attempt).",
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    description: 'The database did not answer in time. See Retry-After.',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
