import { RETRY_BUDGET_MS } from './phone.service';
import { WechatBadResponseError } from './wechat.errors';
import { APP, TIMEOUT_MS, CODE, phoneAnswer, errcode, setup } from '../../test/helpers/phone-world';

describe('PhoneService.resolvePhone', () => {
  // Answers that a retry cannot change: one call, then the error the client sees.
  it.each([
    [45011, 'quota', 'TOO_MANY_REQUESTS', 429],
    [45009, 'quota', 'WECHAT_UNAVAILABLE', 503],
    [40013, 'our AppID is wrong', 'WECHAT_MISCONFIGURED', 503],
    [47001, 'undocumented', 'WECHAT_BAD_RESPONSE', 502],
  ])('errcode %i (%s) → %s %i after one call, not retried', async (code, _why, error, status) => {
    const { service, calls } = setup([errcode(code), { body: phoneAnswer() }]);

    await expect(service.resolvePhone(APP, CODE)).rejects.toMatchObject({ code: error, status });
    expect(calls).toHaveLength(1);
  });

  describe('WeChat unreachable', () => {
    it('HTTP 500 → retried once, then 503 WECHAT_UNAVAILABLE', async () => {
      const { service, calls } = setup([
        { status: 500, body: 'Internal Server Error' },
        { status: 500, body: 'Internal Server Error' },
        { body: phoneAnswer() },
      ]);

      await expect(service.resolvePhone(APP, CODE)).rejects.toMatchObject({
        code: 'WECHAT_UNAVAILABLE',
        status: 503,
      });
      expect(calls).toHaveLength(2);
    });

    it('HTTP 502 once then a good answer → success on the retry', async () => {
      const { service, calls } = setup([
        { status: 502, body: '<html>Bad Gateway</html>' },
        { body: phoneAnswer() },
      ]);

      await expect(service.resolvePhone(APP, CODE)).resolves.toMatchObject({
        phoneNumber: '+8613800138000',
      });
      expect(calls).toHaveLength(2);
    });

    it('a timeout whose retry finds the code spent → 503 (the outage), not 401', async () => {
      const { service, calls } = setup([{ networkError: 'ECONNABORTED' }, errcode(40163)]);

      await expect(service.resolvePhone(APP, CODE)).rejects.toMatchObject({
        code: 'WECHAT_UNAVAILABLE',
        status: 503,
      });
      expect(calls).toHaveLength(2);
    });

    it('connection refused → retried once, then 503 without the URL or token in the message', async () => {
      const { service, calls } = setup([
        { networkError: 'ECONNREFUSED' },
        { networkError: 'ECONNREFUSED' },
        { body: phoneAnswer() },
      ]);

      const login = service.resolvePhone(APP, CODE);

      await expect(login).rejects.toMatchObject({ code: 'WECHAT_UNAVAILABLE', status: 503 });
      const error = (await login.catch((e: unknown) => e)) as Error;
      expect(error.message).not.toContain('token-1');
      expect(error.message).not.toContain('access_token');
      expect(calls).toHaveLength(2);
    });
  });

  describe('answers that cannot be trusted → 502 WECHAT_BAD_RESPONSE', () => {
    const cases: Array<[string, unknown]> = [
      ['the body is not JSON', '<html>gateway says hi</html>'],
      ['the body is a JSON array', [phoneAnswer()]],
      ['phone_info is missing', { errcode: 0, errmsg: 'ok' }],
      ['purePhoneNumber is missing', phoneAnswer({ purePhoneNumber: undefined })],
      ['purePhoneNumber is not digits', phoneAnswer({ purePhoneNumber: '138-0013-8000' })],
      ['purePhoneNumber is a number', phoneAnswer({ purePhoneNumber: 13800138000 })],
      ['countryCode is missing', phoneAnswer({ countryCode: undefined })],
      ["countryCode is 'abc'", phoneAnswer({ countryCode: 'abc' })],
      ['watermark is missing', phoneAnswer({ watermark: undefined })],
      [
        'watermark.appid is another app',
        phoneAnswer({ watermark: { timestamp: 1_700_000_000, appid: 'wx-someone-else' } }),
      ],
      ['errcode is not a number', { ...phoneAnswer(), errcode: '40029' }],
    ];

    it.each(cases)('when %s (one call, no retry)', async (_what, body) => {
      const { service, calls } = setup([{ body }, { body: phoneAnswer() }]);

      const login = service.resolvePhone(APP, CODE);

      await expect(login).rejects.toBeInstanceOf(WechatBadResponseError);
      await expect(login).rejects.toMatchObject({ code: 'WECHAT_BAD_RESPONSE', status: 502 });
      expect(calls).toHaveLength(1);
    });
  });

  describe('time budget: a retry only gets what is left, never a fresh timeout', () => {
    const budgetEnd = (startedAt: number) => startedAt + TIMEOUT_MS + RETRY_BUDGET_MS;

    it('the retry after a slow busy answer gets at most the remaining budget', async () => {
      const { service, calls, startedAt } = setup([
        { ...errcode(-1), takesMs: 1500 },
        { body: phoneAnswer() },
      ]);

      await service.resolvePhone(APP, CODE);

      expect(calls).toHaveLength(2);
      expect(calls[1].timeout).toBeLessThanOrEqual(calls[0].timeout!);
      expect(calls[1].startedAt + calls[1].timeout!).toBeLessThanOrEqual(budgetEnd(startedAt));
    });

    it('the retry after a timed-out call gets only the 1 s left', async () => {
      const { service, calls, startedAt } = setup([
        { networkError: 'ECONNABORTED', takesMs: TIMEOUT_MS },
        { body: phoneAnswer() },
      ]);

      await expect(service.resolvePhone(APP, CODE)).resolves.toMatchObject({
        phoneNumber: '+8613800138000',
      });
      expect(calls).toHaveLength(2);
      expect(calls[1].timeout).toBeLessThanOrEqual(RETRY_BUDGET_MS);
      expect(calls[1].startedAt + calls[1].timeout!).toBeLessThanOrEqual(budgetEnd(startedAt));
    });

    it('no retry when the budget is (almost) spent', async () => {
      const { service, calls } = setup([
        { ...errcode(-1), takesMs: TIMEOUT_MS + RETRY_BUDGET_MS - 50 },
        { body: phoneAnswer() },
      ]);

      await expect(service.resolvePhone(APP, CODE)).rejects.toMatchObject({
        code: 'WECHAT_UNAVAILABLE',
        status: 503,
      });
      expect(calls).toHaveLength(1);
    });

    it('the retry after a rejected token does not overrun the budget by the time the new token took', async () => {
      const { service, calls, tokens, startedAt } = setup([
        { ...errcode(40001), takesMs: 1500 },
        { body: phoneAnswer() },
      ]);
      tokens.fetchTakesMs = 1000;

      await service.resolvePhone(APP, CODE);

      expect(calls).toHaveLength(2);
      expect(calls[1].params.access_token).toBe('token-2');
      // 1500 ms spent on the first call, 1000 ms fetching the new token: 500 ms are left.
      expect(calls[1].startedAt + calls[1].timeout!).toBeLessThanOrEqual(budgetEnd(startedAt));
    });
  });
});
