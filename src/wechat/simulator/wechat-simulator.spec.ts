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
      body: { code: simulator.mintPhoneCode('13800138000') },
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
