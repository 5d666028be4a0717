import request from 'supertest';
import { User } from '../src/users/user.entity';
import { WechatAccount } from '../src/users/wechat-account.entity';
import { FakeWechat, RecordedCall } from './helpers/fake-wechat';
import { LoginBody, NotRegisteredBody } from './helpers/login-flow';
import { useAppWithFakeWechat } from './helpers/suite';
import { startApp, TestApp } from './helpers/test-app';
import { createTestDatabase, TestDatabase } from './helpers/test-database';

const CHECK_PATH = '/wxa/msg_sec_check';
const RISKY = '我是违禁词本人';

let phoneSeq = 0;
const nextPhone = () => `1360000${String(++phoneSeq).padStart(4, '0')}`;

/** The mini-program's calls, against one app and one fake WeChat. */
function client(t: TestApp, wechat: FakeWechat) {
  return {
    /** A new user's phone tap: the ticket, carrying the WeChat account when `openid` is given. */
    async ticket(phone: string, openid?: string): Promise<string> {
      const res = await request(t.url)
        .post('/auth/wechat/phone-login')
        .send({
          code: wechat.phoneCode(phone),
          ...(openid ? { loginCode: wechat.loginCode(openid) } : {}),
        })
        .expect(404);
      return (res.body as NotRegisteredBody).registrationTicket;
    },
    register: (body: Record<string, unknown>) =>
      request(t.url).post('/auth/wechat/register').send(body),
    patchMe: (accessToken: string, body: Record<string, unknown>) =>
      request(t.url).patch('/users/me').set('Authorization', `Bearer ${accessToken}`).send(body),
    me: async (accessToken: string) =>
      (
        await request(t.url)
          .get('/users/me')
          .set('Authorization', `Bearer ${accessToken}`)
          .expect(200)
      ).body as LoginBody['user'],
    userByPhone: (pure: string) =>
      t.dataSource.getRepository(User).findOneBy({ phoneNumber: `+86${pure}` }),
  };
}

/** Log lines written since `from` (an index into t.logs.lines). */
const logsSince = (t: TestApp, from: number) => t.logs.lines.slice(from).join('\n');

describe('nickname content security through msg_sec_check (e2e)', () => {
  const s = useAppWithFakeWechat();
  let t: TestApp;
  let wechat: FakeWechat;
  let app: ReturnType<typeof client>;

  beforeAll(() => {
    ({ t, wechat } = s);
    app = client(t, wechat);
  });

  /** A registered user bound to `openid` in the app (no content check on the way: no nickname). */
  async function boundUser(openid: string): Promise<LoginBody> {
    const ticket = await app.ticket(nextPhone(), openid);
    return (await app.register({ registrationTicket: ticket }).expect(201)).body as LoginBody;
  }

  function onlyCheck(since: number): RecordedCall {
    const checks = wechat.contentChecks.slice(since);
    expect(checks).toHaveLength(1);
    return checks[0];
  }

  describe('registration', () => {
    it('refuses a risky nickname with 422 NICKNAME_REJECTED, creates nothing, and the same ticket then registers another one', async () => {
      const phone = nextPhone();
      const ticket = await app.ticket(phone, 'o_reg_ticket_account');
      const before = wechat.contentChecks.length;

      const refused = await app
        .register({ registrationTicket: ticket, nickname: RISKY })
        .expect(422);
      expect(refused.body).toMatchObject({
        statusCode: 422,
        error: 'Unprocessable Entity',
        code: 'NICKNAME_REJECTED',
      });
      expect(await app.userByPhone(phone)).toBeNull();
      expect(
        await t.dataSource
          .getRepository(WechatAccount)
          .findOneBy({ openid: 'o_reg_ticket_account' }),
      ).toBeNull();
      // WeChat's documented request: token in the query string, v2 body with the author's openid.
      const check = onlyCheck(before);
      expect(check.method).toBe('POST');
      expect(check.query.access_token).toMatch(/^sim_/);
      expect(check.body).toEqual({
        content: RISKY,
        version: 2,
        scene: 1,
        openid: 'o_reg_ticket_account',
      });

      const created = await app
        .register({ registrationTicket: ticket, nickname: '小明' })
        .expect(201);
      expect((created.body as LoginBody).user.nickname).toBe('小明');
      expect(wechat.contentChecks.length - before).toBe(2);
    });

    it("checks as the openid of the registration's own loginCode; a refusal leaves the ticket usable", async () => {
      const phone = nextPhone();
      const ticket = await app.ticket(phone);
      const before = wechat.contentChecks.length;

      await app
        .register({
          registrationTicket: ticket,
          nickname: RISKY,
          loginCode: wechat.loginCode('o_reg_login_code'),
        })
        .expect(422);
      expect(onlyCheck(before).body).toMatchObject({ openid: 'o_reg_login_code' });
      expect(await app.userByPhone(phone)).toBeNull();

      await app
        .register({
          registrationTicket: ticket,
          nickname: '阿花',
          loginCode: wechat.loginCode('o_reg_login_code'),
        })
        .expect(201);
      expect((await app.userByPhone(phone))?.nickname).toBe('阿花');
    });

    it('skips the check (and logs it) when no openid is known', async () => {
      const phone = nextPhone();
      const ticket = await app.ticket(phone);
      const before = wechat.contentChecks.length;
      const logFrom = t.logs.lines.length;

      await app.register({ registrationTicket: ticket, nickname: RISKY }).expect(201);

      expect(wechat.contentChecks.length).toBe(before);
      expect(logsSince(t, logFrom)).toContain('Nickname content check skipped');
    });

    it('accepts the nickname (and logs it) when WeChat answers with an HTTP error', async () => {
      const phone = nextPhone();
      const ticket = await app.ticket(phone, 'o_reg_outage');
      wechat.failFor('o_reg_outage', { httpStatus: 502 }, 1, CHECK_PATH);
      const logFrom = t.logs.lines.length;

      await app.register({ registrationTicket: ticket, nickname: RISKY }).expect(201);

      expect((await app.userByPhone(phone))?.nickname).toBe(RISKY);
      expect(logsSince(t, logFrom)).toMatch(/accepted unchecked: .*HTTP 502/);
    });
  });

  describe('PATCH /users/me', () => {
    it('refuses a risky nickname with 422 and leaves the nickname unchanged', async () => {
      const user = await boundUser('o_patch_risky');
      await app.patchMe(user.accessToken, { nickname: '原来的名字' }).expect(200);
      const before = wechat.contentChecks.length;

      const refused = await app.patchMe(user.accessToken, { nickname: RISKY }).expect(422);

      expect(refused.body).toMatchObject({ code: 'NICKNAME_REJECTED' });
      expect((await app.me(user.accessToken)).nickname).toBe('原来的名字');
      expect(onlyCheck(before).body).toEqual({
        content: RISKY,
        version: 2,
        scene: 1,
        openid: 'o_patch_risky',
      });
    });

    it('accepts a nickname WeChat suggests for review, and logs it', async () => {
      const user = await boundUser('o_patch_review');
      wechat.failFor('o_patch_review', {
        body: JSON.stringify({
          errcode: 0,
          errmsg: 'ok',
          result: { suggest: 'review', label: 20002 },
        }),
      });
      const logFrom = t.logs.lines.length;

      await app.patchMe(user.accessToken, { nickname: '待审核13800138000' }).expect(200);

      expect((await app.me(user.accessToken)).nickname).toBe('待审核13800138000');
      const logged = logsSince(t, logFrom);
      expect(logged).toMatch(/WeChat suggests a review \(label 20002\): .*待审核138\*{4}8000/);
      // The nickname is the user's text: a phone number in it is masked like any other.
      expect(logged).not.toContain('13800138000');
    });

    it('skips the check (and logs it) for a user with no WeChat account bound in this app', async () => {
      const ticket = await app.ticket(nextPhone());
      const user = (await app.register({ registrationTicket: ticket }).expect(201))
        .body as LoginBody;
      const before = wechat.contentChecks.length;
      const logFrom = t.logs.lines.length;

      await app.patchMe(user.accessToken, { nickname: RISKY }).expect(200);

      expect(wechat.contentChecks.length).toBe(before);
      expect(logsSince(t, logFrom)).toContain('Nickname content check skipped');
    });

    it('accepts the nickname (and logs it) when WeChat does not answer in time', async () => {
      const user = await boundUser('o_patch_hang');
      wechat.failFor('o_patch_hang', { hang: true }, 1, CHECK_PATH);
      const logFrom = t.logs.lines.length;

      await app.patchMe(user.accessToken, { nickname: '慢慢来' }).expect(200);

      expect((await app.me(user.accessToken)).nickname).toBe('慢慢来');
      expect(logsSince(t, logFrom)).toMatch(/accepted unchecked: .*timeout/);
    });

    it('accepts the nickname (and logs it) on 61010: WeChat has not seen the openid lately', async () => {
      const user = await boundUser('o_patch_61010');
      const fault = { errcode: 61010, errmsg: 'user is not visited in 2 hours' };
      wechat.failFor('o_patch_61010', fault, 1, CHECK_PATH);
      const logFrom = t.logs.lines.length;

      await app.patchMe(user.accessToken, { nickname: RISKY }).expect(200);

      expect((await app.me(user.accessToken)).nickname).toBe(RISKY);
      expect(logsSince(t, logFrom)).toMatch(/accepted unchecked: .*61010/);
    });

    it("refuses on version 1's 87014 (risky content) and accepts an answer without a verdict", async () => {
      const user = await boundUser('o_patch_other_answers');
      const openid = 'o_patch_other_answers';
      wechat.failFor(openid, { errcode: 87014, errmsg: 'risky content' }, 1, CHECK_PATH);
      await app.patchMe(user.accessToken, { nickname: '旧版风险' }).expect(422);

      wechat.failFor(openid, { body: JSON.stringify({ errcode: 0, errmsg: 'ok' }) }, 1, CHECK_PATH);
      const logFrom = t.logs.lines.length;
      await app.patchMe(user.accessToken, { nickname: '没有结论' }).expect(200);

      expect((await app.me(user.accessToken)).nickname).toBe('没有结论');
      expect(logsSince(t, logFrom)).toContain('answered without a verdict');
    });

    it('drops a rejected access token, gets a new one and checks again once', async () => {
      const user = await boundUser('o_patch_token');
      const fetches = wechat.tokenFetches;
      const before = wechat.contentChecks.length;
      wechat.failFor('o_patch_token', { errcode: 40001 }, 1, CHECK_PATH);

      await app.patchMe(user.accessToken, { nickname: RISKY }).expect(422);

      const checks = wechat.contentChecks.slice(before);
      expect(checks).toHaveLength(2);
      expect(checks[1].query.access_token).not.toBe(checks[0].query.access_token);
      expect(wechat.tokenFetches).toBeGreaterThan(fetches);
    });

    // Last: it moves the fake WeChat's clock by more than two hours.
    it('rehearses 61010 with the simulator: an openid not seen through a login code for 2 hours is accepted unchecked', async () => {
      const user = await boundUser('o_patch_stale');
      await app.patchMe(user.accessToken, { nickname: RISKY }).expect(422);
      wechat.clock.advance(2 * 3_600_000 + 60_000);
      const logFrom = t.logs.lines.length;

      await app.patchMe(user.accessToken, { nickname: RISKY }).expect(200);

      expect(wechat.contentChecks.at(-1)?.errcode).toBe(61010);
      expect(logsSince(t, logFrom)).toContain('61010');
    });
  });
});

describe('WECHAT_CONTENT_CHECK=false (e2e)', () => {
  const s = useAppWithFakeWechat({ WECHAT_CONTENT_CHECK: 'false' });

  it('never calls msg_sec_check, on registration or on PATCH /users/me', async () => {
    const app = client(s.t, s.wechat);
    const ticket = await app.ticket(nextPhone(), 'o_off');
    const user = (await app.register({ registrationTicket: ticket, nickname: RISKY }).expect(201))
      .body as LoginBody;
    await app.patchMe(user.accessToken, { nickname: `${RISKY}2` }).expect(200);

    expect(s.wechat.contentChecks).toHaveLength(0);
  });
});

describe("the fake WeChat's risky words are configurable (e2e)", () => {
  let db: TestDatabase;
  let wechat: FakeWechat;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    wechat = await FakeWechat.start(undefined, { riskyWords: ['黑名单', 'blocked'] });
    t = await startApp({ databaseUrl: db.url, wechat });
  });
  afterAll(async () => {
    await t?.close();
    await wechat?.stop();
    await db?.drop();
  });

  it('calls only the configured words risky', async () => {
    const app = client(t, wechat);
    const ticket = await app.ticket(nextPhone(), 'o_words');
    await app.register({ registrationTicket: ticket, nickname: '小黑名单' }).expect(422);
    const user = (
      await app.register({ registrationTicket: ticket, nickname: '违禁词' }).expect(201)
    ).body as LoginBody;
    await app.patchMe(user.accessToken, { nickname: 'Blocked' }).expect(200);
    await app.patchMe(user.accessToken, { nickname: 'so blocked' }).expect(422);
  });
});

describe('the built-in simulator with WECHAT_SIMULATOR_RISKY_WORDS (e2e)', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // No WECHAT_* credentials: the built-in simulator answers msg_sec_check.
    t = await startApp({ databaseUrl: db.url, env: { WECHAT_SIMULATOR_RISKY_WORDS: '赌博,spam' } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const mint = async (route: string, body: Record<string, string>): Promise<string> =>
    ((await request(t.url).post(route).send(body).expect(200)).body as { code: string }).code;

  it('refuses a nickname with a configured word; the default word is no longer risky', async () => {
    const res = await request(t.url)
      .post('/auth/wechat/phone-login')
      .send({
        code: await mint('/__wechat-sim/phone-codes', { phoneNumber: '13500135000' }),
        loginCode: await mint('/__wechat-sim/login-codes', { openid: 'o_builtin_sim' }),
      })
      .expect(404);
    const ticket = (res.body as NotRegisteredBody).registrationTicket;
    const register = (nickname: string) =>
      request(t.url).post('/auth/wechat/register').send({ registrationTicket: ticket, nickname });

    const refused = await register('爱赌博').expect(422);
    expect(refused.body).toMatchObject({ code: 'NICKNAME_REJECTED' });
    await register('违禁词').expect(201);
  });
});
