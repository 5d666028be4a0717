/** The fake WeChat and token source the PhoneService specs run against. */
import { HttpService } from '@nestjs/axios';
import axios, {
  AxiosAdapter,
  AxiosError,
  AxiosHeaders,
  AxiosResponse,
  InternalAxiosRequestConfig,
} from 'axios';
import { WechatConfig } from '../../src/config/wechat.config';
import { AccessTokenService } from '../../src/wechat/access-token.service';
import { PhoneService } from '../../src/wechat/phone.service';
import { WechatApiClient } from '../../src/wechat/wechat-api.client';
import { WechatApp } from '../../src/wechat/wechat-app';
import { FixedClock } from './fixed-clock';
import { AppMetrics } from '../../src/metrics/app-metrics';

export const APPID = 'wx1234567890abcdef';
export const APP = new WechatApp(APPID, 'app-secret', 'stable');
export const TIMEOUT_MS = 2000;
export const CODE = 'phone-code-from-getPhoneNumber';

/** What the fake WeChat does with one call: answer (after taking some time) or fail in transport. */
export type Reply =
  { status?: number; body: unknown; takesMs?: number } | { networkError: string; takesMs?: number };

export interface RecordedCall {
  url: string;
  fullUri: string;
  params: Record<string, unknown>;
  body: unknown;
  rawBody: unknown;
  timeout: number | undefined;
  startedAt: number;
}

/** A fake access-token source: hands out `token-1`, and `token-2` once `token-1` is invalidated. */
export class FakeAccessTokens {
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

export function phoneAnswer(phoneInfo: Record<string, unknown> = {}): Record<string, unknown> {
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

export function errcode(code: number): Reply {
  return { body: { errcode: code, errmsg: `errmsg for ${code}` } };
}

export function setup(replies: Reply[]) {
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
  const client = new WechatApiClient(
    new HttpService(axios.create({ adapter })),
    config,
    new AppMetrics({ enabled: false }),
  );
  const tokens = new FakeAccessTokens(clock);
  const service = new PhoneService(client, tokens as unknown as AccessTokenService, clock, config);
  const startedAt = clock.now();
  return { service, calls, tokens, clock, startedAt };
}
