import { FixedClock } from '../../../test/helpers/fixed-clock';
import { TOKEN_OVERLAP_MS, WechatSimulator } from './wechat-simulator';

const APP = { appId: 'wxsim000000000spec', secret: 'sim-spec-secret-0001' };

describe('WechatSimulator.forgetTokensExpiringBefore', () => {
  let clock: FixedClock;
  let simulator: WechatSimulator;

  beforeEach(() => {
    clock = new FixedClock();
    simulator = new WechatSimulator(clock, [APP]);
  });

  function classicToken(): string {
    const answer = simulator.handle({
      method: 'GET',
      path: '/cgi-bin/token',
      query: { grant_type: 'client_credential', appid: APP.appId, secret: APP.secret },
      body: undefined,
    });
    return answer.body.access_token as string;
  }

  function phoneCall(accessToken: string): unknown {
    return simulator.handle({
      method: 'POST',
      path: '/wxa/business/getuserphonenumber',
      query: { access_token: accessToken },
      body: { code: simulator.mintPhoneCode(APP.appId, '13800138000') },
    }).body.errcode;
  }

  it('forgets a superseded token whose overlap ends before the cutoff and keeps the live one', () => {
    const superseded = classicToken();
    clock.advance(1000);
    const live = classicToken();
    expect(phoneCall(superseded)).toBe(0); // still inside its 5-minute overlap

    simulator.forgetTokensExpiringBefore(clock.now() + TOKEN_OVERLAP_MS + 1);

    expect(phoneCall(superseded)).toBe(40001);
    expect(phoneCall(live)).toBe(0);
  });

  it('keeps a token whose expiry is not before the cutoff', () => {
    const superseded = classicToken();
    classicToken();

    simulator.forgetTokensExpiringBefore(clock.now() + TOKEN_OVERLAP_MS);

    expect(phoneCall(superseded)).toBe(0);
  });
});

describe('WechatSimulator tokens and faults', () => {
  let clock: FixedClock;
  let simulator: WechatSimulator;
  const credentials = { grant_type: 'client_credential', appid: APP.appId, secret: APP.secret };

  beforeEach(() => {
    clock = new FixedClock();
    simulator = new WechatSimulator(clock, [APP]);
  });

  const call = (method: string, path: string, query: Record<string, string>, body?: unknown) =>
    simulator.handle({ method, path, query, body }).body;
  const classic = (query: Record<string, string> = credentials) =>
    call('GET', '/cgi-bin/token', query);
  const stable = (body: Record<string, unknown> = credentials) =>
    call('POST', '/cgi-bin/stable_token', {}, body);
  const phoneCall = (accessToken: string) =>
    call(
      'POST',
      '/wxa/business/getuserphonenumber',
      { access_token: accessToken },
      {
        code: simulator.mintPhoneCode(APP.appId, '13800138000'),
      },
    ).errcode;

  it('keeps classic and stable tokens apart: fetching one kind never cuts the other', () => {
    const stableToken = stable().access_token as string;
    const classicToken = classic().access_token as string;
    classic();
    stable({ ...credentials, force_refresh: true });
    clock.advance(TOKEN_OVERLAP_MS + 1000);

    // The classic token was superseded by a classic fetch, the stable one by force_refresh.
    expect(phoneCall(classicToken)).toBe(42001);
    expect(phoneCall(stableToken)).toBe(42001);

    const liveStable = stable().access_token as string;
    const liveClassic = classic().access_token as string;
    classic();
    clock.advance(TOKEN_OVERLAP_MS + 1000);
    expect(phoneCall(liveStable)).toBe(0);
    expect(phoneCall(liveClassic)).toBe(42001);
  });

  it('answers a wrong secret with 40001 on classic /cgi-bin/token and 40125 on stable_token, as WeChat documents', () => {
    expect(classic({ ...credentials, secret: 'wrong' })).toMatchObject({ errcode: 40001 });
    expect(stable({ ...credentials, secret: 'wrong' })).toMatchObject({ errcode: 40125 });
    expect(stable({ ...credentials, appid: 'wx_unknown' })).toMatchObject({ errcode: 40013 });
  });

  it('answers the next `count` calls of an api with an injected errcode, msg_sec_check included', () => {
    simulator.faults.add('stable_token', 40164, 2);
    expect(simulator.faults.add('msg_sec_check', 61010, 1)).toBe(1);
    expect(stable()).toMatchObject({ errcode: 40164, errmsg: expect.stringMatching(/rid: /) });
    expect(stable()).toMatchObject({ errcode: 40164 });
    expect(stable()).toMatchObject({ errcode: 0 });
    expect(call('POST', '/wxa/msg_sec_check', {}, {})).toMatchObject({ errcode: 61010 });
    expect(classic()).toMatchObject({ errcode: 0 });
  });
});

describe('WechatSimulator with a short token lifetime (tokenTtlSec)', () => {
  it('hands out tokens that live tokenTtlSec, and renews the stable one only in its last 5 minutes', () => {
    const clock = new FixedClock();
    const simulator = new WechatSimulator(clock, [APP], { tokenTtlSec: 600 });
    const credentials = { grant_type: 'client_credential', appid: APP.appId, secret: APP.secret };
    const stable = () =>
      simulator.handle({
        method: 'POST',
        path: '/cgi-bin/stable_token',
        query: {},
        body: credentials,
      }).body;

    const first = stable();
    expect(first).toMatchObject({ expires_in: 600 });
    clock.advance(600_000 - TOKEN_OVERLAP_MS - 1000);
    expect(stable()).toMatchObject({ access_token: first.access_token, expires_in: 301 });
    clock.advance(2000);
    const renewed = stable();
    expect(renewed.access_token).not.toBe(first.access_token);
    expect(renewed).toMatchObject({ expires_in: 600 });
  });
});
