import { WechatCodeInvalidError } from './wechat.errors';
import { APP, TIMEOUT_MS, CODE, phoneAnswer, errcode, setup } from '../../test/helpers/phone-world';

describe('PhoneService.resolvePhone', () => {
  describe('a verified phone number', () => {
    it.each([
      ['a number', 86],
      ['a string', '86'],
    ])('is returned in E.164 when countryCode is %s', async (_kind, countryCode) => {
      const { service, calls } = setup([{ body: phoneAnswer({ countryCode }) }]);

      await expect(service.resolvePhone(APP, CODE)).resolves.toEqual({
        phoneNumber: '+8613800138000',
        purePhoneNumber: '13800138000',
        countryCode: '86',
      });
      expect(calls).toHaveLength(1);
    });

    it('sends the access token in the query string and only the code in the JSON body', async () => {
      const { service, calls } = setup([{ body: phoneAnswer() }]);

      await service.resolvePhone(APP, CODE);

      expect(calls).toHaveLength(1);
      const [call] = calls;
      expect(call.url).toBe('/wxa/business/getuserphonenumber');
      expect(call.params).toEqual({ access_token: 'token-1' });
      expect(call.fullUri).toBe(
        'https://api.weixin.qq.com/wxa/business/getuserphonenumber?access_token=token-1',
      );
      expect(call.body).toEqual({ code: CODE });
      expect(String(call.rawBody)).not.toContain('token-1');
    });

    it('gives one call the configured WECHAT_TIMEOUT_MS', async () => {
      const { service, calls } = setup([{ body: phoneAnswer() }]);

      await service.resolvePhone(APP, CODE);

      expect(calls[0].timeout).toBe(TIMEOUT_MS);
    });
  });

  describe('a bad code (40029 / 40163)', () => {
    it.each([40029, 40163])(
      'errcode %i → 401 WECHAT_CODE_INVALID after exactly one call',
      async (code) => {
        const { service, calls, tokens } = setup([errcode(code), { body: phoneAnswer() }]);

        const login = service.resolvePhone(APP, CODE);

        await expect(login).rejects.toBeInstanceOf(WechatCodeInvalidError);
        await expect(login).rejects.toMatchObject({ code: 'WECHAT_CODE_INVALID', status: 401 });
        expect(calls).toHaveLength(1);
        expect(tokens.invalidate).not.toHaveBeenCalled();
      },
    );
  });

  describe('a rejected access token (40001 / 40014 / 42001)', () => {
    it.each([40001, 40014, 42001])(
      'errcode %i → drops that token and retries once with a new one',
      async (code) => {
        const { service, calls, tokens } = setup([errcode(code), { body: phoneAnswer() }]);

        await expect(service.resolvePhone(APP, CODE)).resolves.toMatchObject({
          phoneNumber: '+8613800138000',
        });
        expect(tokens.invalidate).toHaveBeenCalledTimes(1);
        expect(tokens.invalidate).toHaveBeenCalledWith(APP, 'token-1');
        expect(calls.map((call) => call.params.access_token)).toEqual(['token-1', 'token-2']);
        expect(calls.map((call) => call.body)).toEqual([{ code: CODE }, { code: CODE }]);
      },
    );

    it('surfaces 503 WECHAT_UNAVAILABLE after exactly two calls when the new token is rejected too', async () => {
      const { service, calls } = setup([errcode(40001), errcode(40001), { body: phoneAnswer() }]);

      await expect(service.resolvePhone(APP, CODE)).rejects.toMatchObject({
        code: 'WECHAT_UNAVAILABLE',
        status: 503,
      });
      expect(calls).toHaveLength(2);
    });
  });

  describe('WeChat busy (-1)', () => {
    it('retries once and succeeds', async () => {
      const { service, calls } = setup([errcode(-1), { body: phoneAnswer() }]);

      await expect(service.resolvePhone(APP, CODE)).resolves.toMatchObject({
        phoneNumber: '+8613800138000',
      });
      expect(calls).toHaveLength(2);
    });

    it('answers 503 WECHAT_UNAVAILABLE with a Retry-After when busy twice', async () => {
      const { service, calls } = setup([errcode(-1), errcode(-1), { body: phoneAnswer() }]);

      const login = service.resolvePhone(APP, CODE);

      await expect(login).rejects.toMatchObject({ code: 'WECHAT_UNAVAILABLE', status: 503 });
      const error = await login.catch((e: unknown) => e);
      expect((error as { options: { retryAfterSec?: number } }).options.retryAfterSec).toEqual(
        expect.any(Number),
      );
      expect(calls).toHaveLength(2);
    });
  });
});
