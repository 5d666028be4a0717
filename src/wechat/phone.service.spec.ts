import { HttpService } from '@nestjs/axios';
import axios, {
  AxiosAdapter,
  AxiosError,
  AxiosHeaders,
  AxiosResponse,
  InternalAxiosRequestConfig,
} from 'axios';
import { WechatConfig } from '../config/wechat.config';
import { AccessTokenService } from './access-token.service';
import { PhoneService, RETRY_BUDGET_MS } from './phone.service';
import { WechatApiClient } from './wechat-api.client';
import { WechatApp } from './wechat-app';
import { WechatBadResponseError, WechatCodeInvalidError } from './wechat.errors';
import { FixedClock } from '../../test/helpers/fixed-clock';

const APPID = 'wx1234567890abcdef';
const APP = new WechatApp(APPID, 'app-secret', 'stable');
const TIMEOUT_MS = 2000;
const CODE = 'phone-code-from-getPhoneNumber';

/** What the fake WeChat does with one call: answer (after taking some time) or fail in transport. */
type Reply =
  { status?: number; body: unknown; takesMs?: number } | { networkError: string; takesMs?: number };

interface RecordedCall {
  url: string;
  fullUri: string;
  params: Record<string, unknown>;
  body: unknown;
  rawBody: unknown;
  timeout: number | undefined;
  startedAt: number;
}

/** A fake access-token source: hands out `token-1`, and `token-2` once `token-1` is invalidated. */
class FakeAccessTokens {
  current = 'token-1';
  fetchTakesMs = 0;
  private generation = 1;

  constructor(private readonly clock: FixedClock) {}

  readonly getToken = jest.fn(() => Promise.resolve(this.current));

  readonly invalidate = jest.fn((_app: WechatApp, token: string) => {
    if (token !== this.current) return;
    // The next getToken() has to fetch: model the time that fetch takes.
    this.generation += 1;
    const next = `token-${this.generation}`;
    this.getToken.mockImplementationOnce(() => {
      this.clock.advance(this.fetchTakesMs);
      this.current = next;
      return Promise.resolve(next);
    });
  });
}

function phoneAnswer(phoneInfo: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    errcode: 0,
    errmsg: 'ok',
    phone_info: {
      phoneNumber: '13800138000',
      purePhoneNumber: '13800138000',
      countryCode: 86,
      watermark: { timestamp: 1_700_000_000, appid: APPID },
      ...phoneInfo,
    },
  };
}

function errcode(code: number): Reply {
  return { body: { errcode: code, errmsg: `errmsg for ${code}` } };
}

function setup(replies: Reply[]) {
  const clock = new FixedClock();
  const calls: RecordedCall[] = [];
  const adapter: AxiosAdapter = (config: InternalAxiosRequestConfig) => {
    const reply = replies[calls.length];
    calls.push({
      url: config.url ?? '',
      fullUri: axios.getUri(config),
      params: (config.params ?? {}) as Record<string, unknown>,
      rawBody: config.data,
      body: typeof config.data === 'string' ? JSON.parse(config.data) : config.data,
      timeout: config.timeout,
      startedAt: clock.now(),
    });
    if (reply === undefined) {
      return Promise.reject(new Error(`unexpected WeChat call #${calls.length}`));
    }
    clock.advance(reply.takesMs ?? 0);
    if ('networkError' in reply) {
      return Promise.reject(
        new AxiosError(
          `connect ${reply.networkError} ${axios.getUri(config)}`,
          reply.networkError,
          config,
        ),
      );
    }
    const response: AxiosResponse = {
      // Serialised like a real transport; axios parses it as the client asks.
      data: typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body),
      status: reply.status ?? 200,
      statusText: String(reply.status ?? 200),
      headers: new AxiosHeaders({ 'content-type': 'application/json' }),
      config,
    };
    return Promise.resolve(response);
  };

  const config: WechatConfig = {
    apps: [{ appId: APPID, secret: 'app-secret' }],
    appId: APPID,
    secret: 'app-secret',
    apiBaseUrl: 'https://api.weixin.qq.com',
    tokenMode: 'stable',
    timeoutMs: TIMEOUT_MS,
    simulator: false,
    contentCheck: true,
    simulatorRiskyWords: ['违禁词'],
  };
  const client = new WechatApiClient(new HttpService(axios.create({ adapter })), config);
  const tokens = new FakeAccessTokens(clock);
  const service = new PhoneService(client, tokens as unknown as AccessTokenService, clock, config);
  const startedAt = clock.now();
  return { service, calls, tokens, clock, startedAt };
}

/** Runs the login to its end; the retry backoff elapses on the fake clock, without real waiting. */
function settle<T>(promise: Promise<T>): Promise<T> {
  return promise;
}

describe('PhoneService.resolvePhone', () => {
  describe('a verified phone number', () => {
    it.each([
      ['a number', 86],
      ['a string', '86'],
    ])('is returned in E.164 when countryCode is %s', async (_kind, countryCode) => {
      const { service, calls } = setup([{ body: phoneAnswer({ countryCode }) }]);

      await expect(settle(service.resolvePhone(APP, CODE))).resolves.toEqual({
        phoneNumber: '+8613800138000',
        purePhoneNumber: '13800138000',
        countryCode: '86',
      });
      expect(calls).toHaveLength(1);
    });

    it('sends the access token in the query string and only the code in the JSON body', async () => {
      const { service, calls } = setup([{ body: phoneAnswer() }]);

      await settle(service.resolvePhone(APP, CODE));

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

      await settle(service.resolvePhone(APP, CODE));

      expect(calls[0].timeout).toBe(TIMEOUT_MS);
    });
  });

  describe('a bad code (40029 / 40163)', () => {
    it.each([40029, 40163])(
      'errcode %i → 401 WECHAT_CODE_INVALID after exactly one call',
      async (code) => {
        const { service, calls, tokens } = setup([errcode(code), { body: phoneAnswer() }]);

        const login = settle(service.resolvePhone(APP, CODE));

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

        await expect(settle(service.resolvePhone(APP, CODE))).resolves.toMatchObject({
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

      await expect(settle(service.resolvePhone(APP, CODE))).rejects.toMatchObject({
        code: 'WECHAT_UNAVAILABLE',
        status: 503,
      });
      expect(calls).toHaveLength(2);
    });
  });

  describe('WeChat busy (-1)', () => {
    it('retries once and succeeds', async () => {
      const { service, calls } = setup([errcode(-1), { body: phoneAnswer() }]);

      await expect(settle(service.resolvePhone(APP, CODE))).resolves.toMatchObject({
        phoneNumber: '+8613800138000',
      });
      expect(calls).toHaveLength(2);
    });

    it('answers 503 WECHAT_UNAVAILABLE with a Retry-After when busy twice', async () => {
      const { service, calls } = setup([errcode(-1), errcode(-1), { body: phoneAnswer() }]);

      const login = settle(service.resolvePhone(APP, CODE));

      await expect(login).rejects.toMatchObject({ code: 'WECHAT_UNAVAILABLE', status: 503 });
      const error = await login.catch((e: unknown) => e);
      expect((error as { options: { retryAfterSec?: number } }).options.retryAfterSec).toEqual(
        expect.any(Number),
      );
      expect(calls).toHaveLength(2);
    });
  });

  describe('quota (45009 / 45011), never retried', () => {
    it('45011 → 429 TOO_MANY_REQUESTS after one call', async () => {
      const { service, calls } = setup([errcode(45011), { body: phoneAnswer() }]);

      await expect(settle(service.resolvePhone(APP, CODE))).rejects.toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        status: 429,
      });
      expect(calls).toHaveLength(1);
    });

    it('45009 → 503 WECHAT_UNAVAILABLE after one call', async () => {
      const { service, calls } = setup([errcode(45009), { body: phoneAnswer() }]);

      await expect(settle(service.resolvePhone(APP, CODE))).rejects.toMatchObject({
        code: 'WECHAT_UNAVAILABLE',
        status: 503,
      });
      expect(calls).toHaveLength(1);
    });
  });

  it.each([40013])(
    'errcode %i (our AppID is wrong) → 503 WECHAT_MISCONFIGURED, not retried',
    async (code) => {
      const { service, calls } = setup([errcode(code), { body: phoneAnswer() }]);

      await expect(settle(service.resolvePhone(APP, CODE))).rejects.toMatchObject({
        code: 'WECHAT_MISCONFIGURED',
        status: 503,
      });
      expect(calls).toHaveLength(1);
    },
  );

  it('an undocumented errcode (47001) → 502 WECHAT_BAD_RESPONSE, not retried', async () => {
    const { service, calls } = setup([errcode(47001), { body: phoneAnswer() }]);

    await expect(settle(service.resolvePhone(APP, CODE))).rejects.toMatchObject({
      code: 'WECHAT_BAD_RESPONSE',
      status: 502,
    });
    expect(calls).toHaveLength(1);
  });

  describe('WeChat unreachable', () => {
    it('HTTP 500 → retried once, then 503 WECHAT_UNAVAILABLE', async () => {
      const { service, calls } = setup([
        { status: 500, body: 'Internal Server Error' },
        { status: 500, body: 'Internal Server Error' },
        { body: phoneAnswer() },
      ]);

      await expect(settle(service.resolvePhone(APP, CODE))).rejects.toMatchObject({
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

      await expect(settle(service.resolvePhone(APP, CODE))).resolves.toMatchObject({
        phoneNumber: '+8613800138000',
      });
      expect(calls).toHaveLength(2);
    });

    it('a timeout whose retry finds the code spent → 503 (the outage), not 401', async () => {
      const { service, calls } = setup([{ networkError: 'ECONNABORTED' }, errcode(40163)]);

      await expect(settle(service.resolvePhone(APP, CODE))).rejects.toMatchObject({
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

      const login = settle(service.resolvePhone(APP, CODE));

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

      const login = settle(service.resolvePhone(APP, CODE));

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

      await settle(service.resolvePhone(APP, CODE));

      expect(calls).toHaveLength(2);
      expect(calls[1].timeout).toBeLessThanOrEqual(calls[0].timeout!);
      expect(calls[1].startedAt + calls[1].timeout!).toBeLessThanOrEqual(budgetEnd(startedAt));
    });

    it('the retry after a timed-out call gets only the 1 s left', async () => {
      const { service, calls, startedAt } = setup([
        { networkError: 'ECONNABORTED', takesMs: TIMEOUT_MS },
        { body: phoneAnswer() },
      ]);

      await expect(settle(service.resolvePhone(APP, CODE))).resolves.toMatchObject({
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

      await expect(settle(service.resolvePhone(APP, CODE))).rejects.toMatchObject({
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

      await settle(service.resolvePhone(APP, CODE));

      expect(calls).toHaveLength(2);
      expect(calls[1].params.access_token).toBe('token-2');
      // 1500 ms spent on the first call, 1000 ms fetching the new token: 500 ms are left.
      expect(calls[1].startedAt + calls[1].timeout!).toBeLessThanOrEqual(budgetEnd(startedAt));
    });
  });
});
