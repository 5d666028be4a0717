import { FixedClock } from '../../../test/helpers/fixed-clock';
import { OPENID_RECENT_MS } from './simulated-content-check';
import { WechatSimulator } from './wechat-simulator';

const APP = { appId: 'wxsim0000000000msc', secret: 'sim-msc-secret-0001' };
const OTHER = { appId: 'wxsim0000000other', secret: 'sim-msc-secret-0002' };

describe('WechatSimulator msg_sec_check', () => {
  let clock: FixedClock;
  let simulator: WechatSimulator;

  function token(app = APP): string {
    return simulator.handle({
      method: 'POST',
      path: '/cgi-bin/stable_token',
      query: {},
      body: { grant_type: 'client_credential', appid: app.appId, secret: app.secret },
    }).body.access_token as string;
  }

  /** wx.login in the mini-program, then the backend's jscode2session. */
  function login(openid: string, app = APP): void {
    const answer = simulator.handle({
      method: 'GET',
      path: '/sns/jscode2session',
      query: {
        appid: app.appId,
        secret: app.secret,
        js_code: simulator.mintLoginCode(app.appId, openid),
        grant_type: 'authorization_code',
      },
      body: undefined,
    });
    expect(answer.body.errcode).toBe(0);
  }

  function check(body: Record<string, unknown>, accessToken = token()): Record<string, unknown> {
    return simulator.handle({
      method: 'POST',
      path: '/wxa/msg_sec_check',
      query: { access_token: accessToken },
      body: { version: 2, scene: 1, ...body },
    }).body;
  }

  beforeEach(() => {
    clock = new FixedClock();
    simulator = new WechatSimulator(clock, [APP, OTHER], { riskyWords: ['违禁词', 'forbidden'] });
  });

  it('answers risky with an illegal-content label for a configured word, pass otherwise', () => {
    login('o_user');
    expect(check({ content: '含有违禁词', openid: 'o_user' })).toMatchObject({
      errcode: 0,
      result: { suggest: 'risky', label: 20006 },
    });
    expect(check({ content: 'so forbidden', openid: 'o_user' })).toMatchObject({
      result: { suggest: 'risky' },
    });
    expect(check({ content: '小明', openid: 'o_user' })).toMatchObject({
      errcode: 0,
      result: { suggest: 'pass', label: 100 },
    });
  });

  it('defaults to 违禁词 as the only risky word', () => {
    simulator = new WechatSimulator(clock, [APP]);
    login('o_user');
    expect(check({ content: '违禁词', openid: 'o_user' })).toMatchObject({
      result: { suggest: 'risky' },
    });
    expect(check({ content: 'forbidden', openid: 'o_user' })).toMatchObject({
      result: { suggest: 'pass' },
    });
  });

  it('answers 61010 for an openid no login code brought in the last 2 hours, or only in another app', () => {
    expect(check({ content: '小明', openid: 'o_never' }).errcode).toBe(61010);
    login('o_elsewhere', OTHER);
    expect(check({ content: '小明', openid: 'o_elsewhere' }).errcode).toBe(61010);

    login('o_user');
    clock.advance(OPENID_RECENT_MS);
    const fresh = token();
    expect(check({ content: '小明', openid: 'o_user' }, fresh).errcode).toBe(0);
    clock.advance(1);
    expect(check({ content: '小明', openid: 'o_user' }, fresh).errcode).toBe(61010);
    login('o_user');
    expect(check({ content: '小明', openid: 'o_user' }, fresh).errcode).toBe(0);
  });

  it("checks the access token first and wants WeChat's version 2 body", () => {
    login('o_user');
    expect(check({ content: '小明', openid: 'o_user' }, 'not-a-token').errcode).toBe(40001);
    expect(check({ content: '小明', openid: 'o_user', version: 1 }).errcode).toBe(47001);
    expect(check({ openid: 'o_user' }).errcode).toBe(47001);
    expect(check({ content: '小明' }).errcode).toBe(40003);
  });
});
