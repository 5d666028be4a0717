import request from 'supertest';
import { AccessTokenScheduler } from '../src/wechat/access-token.scheduler';
import { MISCONFIGURED_RETRY_SEC } from '../src/wechat/wechat-errcodes';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginFlow } from './helpers/login-flow';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { startApp, TestApp } from './helpers/test-app';

const STABLE_TOKEN = '/cgi-bin/stable_token';

interface ReadyBody {
  details: { wechatAccessToken: { apps: { misconfigured?: unknown }[] } };
}
const JSCODE2SESSION = '/sns/jscode2session';

/** What an operator must be told for each errcode a token endpoint answers. */
const TOKEN_FIXES: [number, RegExp][] = [
  [40001, /WECHAT_SECRET/],
  [40002, /WECHAT_API_BASE_URL/],
  [40013, /WECHAT_APPID/],
  [40125, /WECHAT_SECRET/],
  [40164, /IP allow-list/],
  [41002, /WECHAT_APPID/],
  [41004, /WECHAT_SECRET/],
  [48001, /WECHAT_APPID/],
  [89503, /admin must confirm/],
];

describe('WeChat errcodes as clients and operators see them (e2e)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  /** Log lines that contain `text`. */
  const linesWith = (t: TestApp, text: string) => t.logs.lines.filter((l) => l.includes(text));

  describe('classic mode with a wrong AppSecret (WeChat answers 40001 on /cgi-bin/token)', () => {
    let wechat: FakeWechat;
    let t: TestApp;

    beforeAll(async () => {
      wechat = await FakeWechat.start();
      t = await startApp({
        databaseUrl: db.url,
        wechat,
        env: { WECHAT_TOKEN_MODE: 'classic', WECHAT_SECRET: 'not-the-right-secret' },
      });
    });

    afterAll(async () => {
      await t.close();
      await wechat.stop();
    });

    it('answers 503 WECHAT_MISCONFIGURED, tells the operator to check WECHAT_SECRET, and does not ask WeChat on every request', async () => {
      const flow = new LoginFlow(t.url, wechat);
      const results = [];
      for (let i = 0; i < 5; i++) {
        results.push(await flow.phoneLogin(wechat.phoneCode(`1340000000${i}`)));
      }
      for (const res of results) {
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ code: 'WECHAT_MISCONFIGURED' });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(1);
      }
      // The boot fetch was refused; the requests were answered from that.
      expect(wechat.calls.map((c) => `${c.path} ${c.errcode}`)).toEqual(['/cgi-bin/token 40001']);
      const refusal = linesWith(t, 'errcode 40001');
      expect(refusal).toHaveLength(1);
      expect(refusal[0]).toMatch(/\/cgi-bin\/token.*AppSecret error.*rid: .*check WECHAT_SECRET/);
      expect(JSON.stringify(results.map((r) => r.body))).not.toMatch(/AppSecret error|rid:/);
      expect(t.logs.text).not.toContain('not-the-right-secret');

      const ready = await request(t.url).get('/health/ready').expect(503);
      expect((ready.body as ReadyBody).details.wechatAccessToken).toMatchObject({
        status: 'down',
        apps: [{ misconfigured: { errcode: 40001, hint: expect.stringMatching(/WECHAT_SECRET/) } }],
      });
    });
  });

  // Token fetches carry no code, only the appid every test of this block shares:
  // these tests keep the path-wide failNext and arm it while no request is in flight.
  describe('stable mode: every operator errcode of the token endpoint', () => {
    let wechat: FakeWechat;
    let t: TestApp;
    let flow: LoginFlow;
    let phone = 0;
    const nextPhone = () => `1341${String(phone++).padStart(7, '0')}`;

    beforeAll(async () => {
      wechat = await FakeWechat.start();
      t = await startApp({ databaseUrl: db.url, wechat });
      flow = new LoginFlow(t.url, wechat);
      await flow.phoneLogin(wechat.phoneCode(nextPhone())).expect(404);
    });

    afterAll(async () => {
      await t.close();
      await wechat.stop();
    });

    it.each(TOKEN_FIXES)(
      '%i → 503 WECHAT_MISCONFIGURED with Retry-After, ready 503, the fix and errmsg logged once, one fetch a minute, recovery on its own',
      async (errcode, fix) => {
        const errmsg = `refused for the test ip 203.0.113.${errcode % 250} rid: e2e-${errcode}-6751f0a1`;
        // WeChat revoked our token (a secret reset, say), and the next fetch is refused.
        wechat.simulator.revokeAllTokens();
        wechat.failNext(STABLE_TOKEN, { errcode, errmsg });
        wechat.resetCalls();

        const first = await flow.phoneLogin(wechat.phoneCode(nextPhone())).expect(503);
        expect(first.body).toMatchObject({ code: 'WECHAT_MISCONFIGURED', statusCode: 503 });
        expect(Number(first.headers['retry-after'])).toBe(MISCONFIGURED_RETRY_SEC);

        // Meanwhile requests are answered from the recorded failure.
        t.clock.advance(20_000);
        const later = await Promise.all(
          Array.from({ length: 10 }, () => flow.phoneLogin(wechat.phoneCode(nextPhone()))),
        );
        expect(later.map((r) => r.status)).toEqual(Array(10).fill(503));
        expect(Number(later[0].headers['retry-after'])).toBe(MISCONFIGURED_RETRY_SEC - 20);
        expect(wechat.tokenFetches).toBe(1);

        const ready = await request(t.url).get('/health/ready').expect(503);
        expect((ready.body as ReadyBody).details.wechatAccessToken.apps[0]).toMatchObject({
          misconfigured: { errcode },
        });

        const logged = linesWith(t, errmsg);
        expect(logged).toHaveLength(1);
        expect(logged[0]).toContain(`errcode ${errcode}`);
        expect(logged[0]).toContain(STABLE_TOKEN);
        expect(logged[0]).toMatch(fix);
        const bodies = JSON.stringify([first.body, ready.body, ...later.map((r) => r.body)]);
        expect(bodies).not.toContain('203.0.113.');
        expect(bodies).not.toContain('rid:');

        // A minute after the refusal the fetch is tried once more; WeChat answers: recovered.
        t.clock.advance(MISCONFIGURED_RETRY_SEC * 1000 - 20_000);
        await flow.phoneLogin(wechat.phoneCode(nextPhone())).expect(404);
        expect(wechat.tokenFetches).toBe(2);
        await request(t.url).get('/health/ready').expect(200);
      },
    );

    it('a refused renewal makes /health/ready 503 while the old token still serves logins', async () => {
      const tokens = t.app.get(AccessTokenScheduler);
      // 4 minutes before the token's 2-hour expiry: the scheduled job renews, and WeChat refuses.
      const jump = 2 * 3_600_000 - 4 * 60_000;
      t.clock.advance(jump);
      wechat.clock.advance(jump);
      wechat.failNext(STABLE_TOKEN, { errcode: 40164, errmsg: 'invalid ip 198.51.100.9' });
      await tokens.refreshIfDue();

      await flow.phoneLogin(wechat.phoneCode(nextPhone())).expect(404);
      const ready = await request(t.url).get('/health/ready').expect(503);
      expect((ready.body as ReadyBody).details.wechatAccessToken.apps[0]).toMatchObject({
        tokenHeld: true,
        misconfigured: { errcode: 40164 },
      });

      t.clock.advance(MISCONFIGURED_RETRY_SEC * 1000);
      await tokens.refreshIfDue();
      await request(t.url).get('/health/ready').expect(200);
    });

    it('a quota answer (45009) on the token endpoint stays 503 WECHAT_UNAVAILABLE', async () => {
      wechat.simulator.revokeAllTokens();
      wechat.failNext(STABLE_TOKEN, { errcode: 45009, errmsg: 'reach max api daily quota limit' });
      const res = await flow.phoneLogin(wechat.phoneCode(nextPhone())).expect(503);
      expect(res.body).toMatchObject({ code: 'WECHAT_UNAVAILABLE' });
      await flow.phoneLogin(wechat.phoneCode(nextPhone())).expect(404);
    });
  });

  describe('the fake keeps classic and stable tokens apart, as WeChat does', () => {
    it('a classic /cgi-bin/token fetch by another system does not cut our stable token', async () => {
      const wechat = await FakeWechat.start();
      const t = await startApp({ databaseUrl: db.url, wechat });
      try {
        const flow = new LoginFlow(t.url, wechat);
        await flow.phoneLogin(wechat.phoneCode('13420000001')).expect(404);
        const query = `grant_type=client_credential&appid=${wechat.appId}&secret=${wechat.secret}`;
        for (let i = 0; i < 2; i++) {
          const res = await request(wechat.url).get(`/cgi-bin/token?${query}`).expect(200);
          expect(res.body).toMatchObject({ access_token: expect.any(String) });
        }
        // Well past the 5-minute overlap a classic rotation would leave.
        t.clock.advance(10 * 60_000);
        wechat.clock.advance(10 * 60_000);
        wechat.resetCalls();
        await flow.phoneLogin(wechat.phoneCode('13420000002')).expect(404);
        expect(wechat.calls.map((c) => `${c.path} ${c.errcode}`)).toEqual([
          '/wxa/business/getuserphonenumber 0',
        ]);
      } finally {
        await t.close();
        await wechat.stop();
      }
    });
  });

  describe('jscode2session (silent login)', () => {
    let wechat: FakeWechat;
    let t: TestApp;

    beforeAll(async () => {
      wechat = await FakeWechat.start();
      t = await startApp({ databaseUrl: db.url, wechat });
    });

    afterAll(async () => {
      await t.close();
      await wechat.stop();
    });

    const session = (loginCode: string) =>
      request(t.url).post('/auth/wechat/session').send({ loginCode });
    const sessionCalls = () => wechat.calls.filter((c) => c.path === JSCODE2SESSION).length;

    it('40226 (WeChat blocked this user) → 403 WECHAT_USER_BLOCKED, not retried, errmsg only in the log', async () => {
      wechat.resetCalls();
      const errmsg = 'high risk user rid: e2e-40226-51a0';
      const code = wechat.loginCode('o_blocked');
      wechat.failFor(code, { errcode: 40226, errmsg });
      const res = await session(code).expect(403);
      expect(res.body).toMatchObject({ code: 'WECHAT_USER_BLOCKED', statusCode: 403 });
      expect(JSON.stringify(res.body)).not.toContain('rid:');
      expect(sessionCalls()).toBe(1);
      expect(linesWith(t, errmsg)).toHaveLength(1);
      expect(linesWith(t, errmsg)[0]).toContain(
        `${JSCODE2SESSION} (app ${wechat.appId}) answered errcode 40226`,
      );
    });

    it('-1 (busy) is retried once', async () => {
      wechat.resetCalls();
      const code = wechat.loginCode('o_busy_once');
      wechat.failFor(code, { errcode: -1, errmsg: 'system error' });
      const res = await session(code).expect(404);
      expect(res.body).toMatchObject({ code: 'WECHAT_ACCOUNT_NOT_BOUND' });
      expect(sessionCalls()).toBe(2);
    });

    it('-1 twice → 503 WECHAT_UNAVAILABLE with Retry-After', async () => {
      wechat.resetCalls();
      const code = wechat.loginCode('o_busy_twice');
      wechat.failFor(code, { errcode: -1 }, 2);
      const res = await session(code).expect(503);
      expect(res.body).toMatchObject({ code: 'WECHAT_UNAVAILABLE' });
      expect(res.headers['retry-after']).toBeDefined();
      expect(sessionCalls()).toBe(2);
    });

    it('45011 → 429 TOO_MANY_REQUESTS with Retry-After, not retried', async () => {
      wechat.resetCalls();
      const code = wechat.loginCode('o_frequent');
      wechat.failFor(code, { errcode: 45011, errmsg: 'api minute-quota reach limit' });
      const res = await session(code).expect(429);
      expect(res.body).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(sessionCalls()).toBe(1);
    });

    it('40029 / 40163 → 401 WECHAT_CODE_INVALID', async () => {
      await session('never-issued-code').expect(401);
      const code = wechat.loginCode('o_twice');
      await session(code).expect(404);
      const again = await session(code).expect(401);
      expect(again.body).toMatchObject({ code: 'WECHAT_CODE_INVALID' });
    });
  });
});
