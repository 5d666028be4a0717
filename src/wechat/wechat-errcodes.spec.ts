import {
  errcodeMetricLabel,
  MISCONFIGURED_HINTS,
  WECHAT_ERRCODES,
  WechatEndpoint,
  wechatErrorFor,
} from './wechat-errcodes';
import * as errors from './wechat.errors';

type Expected = [
  errcode: number,
  type: new (...args: never[]) => Error,
  code: string,
  status: number,
];

const TOKEN_ENDPOINT: Expected[] = [
  [-1, errors.WechatBusyError, 'WECHAT_UNAVAILABLE', 503],
  [40001, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  [40002, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  [40013, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  [40125, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  [40164, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  [41002, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  [41004, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  [48001, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  [89503, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  [45009, errors.WechatQuotaError, 'WECHAT_UNAVAILABLE', 503],
  [45011, errors.WechatQuotaError, 'TOO_MANY_REQUESTS', 429],
];

/** What every endpoint called with an access token documents: busy, and the token refused. */
const BUSY_OR_TOKEN_REJECTED: Expected[] = [
  [-1, errors.WechatBusyError, 'WECHAT_UNAVAILABLE', 503],
  [40001, errors.WechatTokenRejectedError, 'WECHAT_UNAVAILABLE', 503],
  [40014, errors.WechatTokenRejectedError, 'WECHAT_UNAVAILABLE', 503],
  [42001, errors.WechatTokenRejectedError, 'WECHAT_UNAVAILABLE', 503],
];

/** Written out by hand from WeChat's documentation, not derived from the table under test. */
const EXPECTED: Record<WechatEndpoint, Expected[]> = {
  token: TOKEN_ENDPOINT,
  stable_token: TOKEN_ENDPOINT,
  getuserphonenumber: [
    ...BUSY_OR_TOKEN_REJECTED,
    [40029, errors.WechatCodeInvalidError, 'WECHAT_CODE_INVALID', 401],
    [40163, errors.WechatCodeInvalidError, 'WECHAT_CODE_INVALID', 401],
    [40013, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
    [45009, errors.WechatQuotaError, 'WECHAT_UNAVAILABLE', 503],
    [45011, errors.WechatQuotaError, 'TOO_MANY_REQUESTS', 429],
  ],
  jscode2session: [
    [-1, errors.WechatBusyError, 'WECHAT_UNAVAILABLE', 503],
    [40029, errors.WechatCodeInvalidError, 'WECHAT_CODE_INVALID', 401],
    [40163, errors.WechatCodeInvalidError, 'WECHAT_CODE_INVALID', 401],
    [40226, errors.WechatUserBlockedError, 'WECHAT_USER_BLOCKED', 403],
    [45011, errors.WechatQuotaError, 'TOO_MANY_REQUESTS', 429],
    [40013, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
    [40125, errors.WechatMisconfiguredError, 'WECHAT_MISCONFIGURED', 503],
  ],
  msg_sec_check: [
    ...BUSY_OR_TOKEN_REJECTED,
    [45009, errors.WechatQuotaError, 'WECHAT_UNAVAILABLE', 503],
    [61010, errors.WechatOpenidNotRecentError, 'WECHAT_UNAVAILABLE', 503],
  ],
};

const ROWS = Object.entries(EXPECTED).flatMap(([endpoint, rows]) =>
  rows.map(([errcode, type, code, status]) => ({
    endpoint: endpoint as WechatEndpoint,
    errcode,
    type,
    code,
    status,
  })),
);

describe('WeChat errcodes by endpoint', () => {
  it.each(ROWS)('$endpoint errcode $errcode → $type.name ($status $code)', (row) => {
    const error = wechatErrorFor(row.endpoint, row.errcode);
    expect(error).toBeInstanceOf(row.type);
    expect(error).toMatchObject({ code: row.code, status: row.status });
    expect(error).toHaveProperty('errcode', row.errcode);
  });

  it('lists nothing more than the documented rows, on any endpoint', () => {
    for (const [endpoint, rows] of Object.entries(EXPECTED)) {
      const listed = Object.keys(WECHAT_ERRCODES[endpoint as WechatEndpoint]).map(Number);
      expect(listed.sort()).toEqual(rows.map(([errcode]) => errcode).sort());
    }
  });

  it.each(Object.keys(EXPECTED) as WechatEndpoint[])(
    'an errcode not documented for %s → 502 WECHAT_BAD_RESPONSE',
    (endpoint) => {
      const error = wechatErrorFor(endpoint, 47001);
      expect(error).toBeInstanceOf(errors.WechatBadResponseError);
      expect(error).toMatchObject({ code: 'WECHAT_BAD_RESPONSE', status: 502, errcode: 47001 });
    },
  );

  it('40001 is a wrong AppSecret on the token endpoints and a stale token on the business APIs', () => {
    expect(wechatErrorFor('token', 40001)).toBeInstanceOf(errors.WechatMisconfiguredError);
    expect(wechatErrorFor('getuserphonenumber', 40001)).toBeInstanceOf(
      errors.WechatTokenRejectedError,
    );
  });

  it.each([
    [40001, /WECHAT_SECRET/],
    [40125, /WECHAT_SECRET/],
    [40013, /WECHAT_APPID/],
    [40164, /IP allow-list/],
    [89503, /admin must confirm/],
    [41002, /WECHAT_APPID/],
    [41004, /WECHAT_SECRET/],
  ])('a misconfiguration %i names the likely fix and carries Retry-After', (errcode, fix) => {
    const error = wechatErrorFor('stable_token', errcode) as errors.WechatMisconfiguredError;
    expect(error.hint).toMatch(fix);
    expect(error.hint).toBe(MISCONFIGURED_HINTS[errcode]);
    expect(error.options.retryAfterSec).toBeGreaterThan(0);
  });
});

describe('errcodeMetricLabel: bounded errcode labels for wxlogin_wechat_calls_total', () => {
  it('keeps the errcodes documented for the endpoint', () => {
    expect(
      errcodeMetricLabel('getuserphonenumber', wechatErrorFor('getuserphonenumber', 40029)),
    ).toBe('40029');
    expect(errcodeMetricLabel('stable_token', wechatErrorFor('stable_token', 40164))).toBe('40164');
  });

  it('folds an errcode the endpoint does not document into other, and names failures without one', () => {
    expect(errcodeMetricLabel('jscode2session', wechatErrorFor('jscode2session', 987654))).toBe(
      'other',
    );
    expect(errcodeMetricLabel('token', new errors.WechatUnreachableError('timeout'))).toBe(
      'transport',
    );
    expect(errcodeMetricLabel('token', new errors.WechatBadResponseError('no access_token'))).toBe(
      'bad_response',
    );
  });
});
