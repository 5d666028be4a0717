import request from 'supertest';
import { AccessTokenScheduler } from '../src/wechat/access-token.scheduler';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginFlow } from './helpers/login-flow';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { startApp } from './helpers/test-app';

describe('WeChat access token and failures (e2e)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  /** A fresh fake WeChat and a freshly booted app: nothing cached anywhere. */
  async function coldStart(env: Record<string, string> = {}) {
    const wechat = await FakeWechat.start();
    const t = await startApp({ databaseUrl: db.url, wechat, env });
    const server = t.url;
    return {
      wechat,
      t,
      server,
      flow: new LoginFlow(server, wechat),
      stop: async () => {
        await t.close();
        await wechat.stop();
      },
    };
  }

  describe('stable mode (default)', () => {
    let s: Awaited<ReturnType<typeof coldStart>>;

    beforeAll(async () => {
      s = await coldStart();
    });

    afterAll(() => s.stop());

    it('serves 100 concurrent cold logins with exactly one token fetch', async () => {
      const codes = Array.from({ length: 100 }, (_, i) =>
        s.wechat.phoneCode(`1390000${String(i).padStart(4, '0')}`),
      );
      const results = await Promise.all(codes.map((code) => s.flow.phoneLogin(code)));
      expect(results.map((r) => r.status)).toEqual(Array(100).fill(404));
      expect(s.wechat.tokenFetches).toBe(1);
      expect(s.wechat.phoneCalls).toHaveLength(100);
    });

    it('fetches with POST /cgi-bin/stable_token in normal mode, never force_refresh', () => {
      const tokenCalls = s.wechat.calls.filter((c) => c.path.startsWith('/cgi-bin/'));
      expect(tokenCalls.map((c) => `${c.method} ${c.path}`)).toEqual([
        'POST /cgi-bin/stable_token',
      ]);
      expect(tokenCalls[0].body).toMatchObject({
        grant_type: 'client_credential',
        appid: s.wechat.appId,
        force_refresh: false,
      });
    });

    it('recovers from a revoked token with one new fetch and no failed login', async () => {
      s.wechat.resetCalls();
      s.wechat.simulator.revokeAllTokens();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          s.flow.phoneLogin(s.wechat.phoneCode(`1370000000${i}`)),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(404));
      expect(s.wechat.tokenFetches).toBe(1);
    });

    it('renews the token from the scheduled job before it expires', async () => {
      const tokens = s.t.app.get(AccessTokenScheduler);
      s.wechat.resetCalls();
      await tokens.refreshIfDue();
      expect(s.wechat.tokenFetches).toBe(0);

      // Both clocks move to 4 minutes before the token's 2-hour expiry.
      const jump = 2 * 3_600_000 - 4 * 60_000;
      s.t.clock.advance(jump);
      s.wechat.clock.advance(jump);
      await tokens.refreshIfDue();
      expect(s.wechat.tokenFetches).toBe(1);

      // Past the old token's expiry: logins keep working on the renewed one.
      s.t.clock.advance(5 * 60_000);
      s.wechat.clock.advance(5 * 60_000);
      await s.flow.phoneLogin(s.wechat.phoneCode('13600000001')).expect(404);
      expect(s.wechat.tokenFetches).toBe(1);
    });

    it('retries once when WeChat is busy (-1)', async () => {
      s.wechat.resetCalls();
      const code = s.wechat.phoneCode('13600000002');
      s.wechat.failFor(code, { errcode: -1 });
      await s.flow.phoneLogin(code).expect(404);
      expect(s.wechat.phoneCalls).toHaveLength(2);
    });

    it('answers 429 with Retry-After on 45011 and does not retry', async () => {
      s.wechat.resetCalls();
      const code = s.wechat.phoneCode('13600000003');
      s.wechat.failFor(code, { errcode: 45011 });
      const res = await s.flow.phoneLogin(code).expect(429);
      expect(res.body).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(s.wechat.phoneCalls).toHaveLength(1);
    });

    it('answers 503 with Retry-After when the daily quota is gone (45009)', async () => {
      const code = s.wechat.phoneCode('13600000004');
      s.wechat.failFor(code, { errcode: 45009 });
      const res = await s.flow.phoneLogin(code).expect(503);
      expect(res.body).toMatchObject({ code: 'WECHAT_UNAVAILABLE' });
      expect(res.headers['retry-after']).toBeDefined();
    });

    it('answers 503 WECHAT_UNAVAILABLE when WeChat fails twice with HTTP 502', async () => {
      s.wechat.resetCalls();
      const code = s.wechat.phoneCode('13600000005');
      s.wechat.failFor(code, { httpStatus: 502 }, 2);
      const res = await s.flow.phoneLogin(code).expect(503);
      expect(res.body).toMatchObject({ code: 'WECHAT_UNAVAILABLE', statusCode: 503 });
      expect(res.headers['retry-after']).toBeDefined();
      expect(s.wechat.phoneCalls).toHaveLength(2);
    });

    it('gives up on a hanging WeChat within WECHAT_TIMEOUT_MS + 1 s', async () => {
      const code = s.wechat.phoneCode('13600000006');
      s.wechat.failFor(code, { hang: true }, 2);
      const started = Date.now();
      const res = await s.flow.phoneLogin(code).expect(503);
      const elapsed = Date.now() - started;
      expect(res.body).toMatchObject({ code: 'WECHAT_UNAVAILABLE' });
      // WECHAT_TIMEOUT_MS is 1000 in tests: the bound is 2 s, plus scheduling slack.
      expect(elapsed).toBeLessThan(2500);
    });

    it('caps concurrent calls to a slow WeChat and answers the overflow with 503 in time', async () => {
      s.wechat.latencyMs = 700;
      s.wechat.maxInFlight = 0;
      try {
        const started = Date.now();
        const results = await Promise.all(
          Array.from({ length: 150 }, (_, i) =>
            s.flow.phoneLogin(s.wechat.phoneCode(`1330000${String(i).padStart(4, '0')}`)),
          ),
        );
        const elapsed = Date.now() - started;
        // At most 64 connections to WeChat per instance, however many logins wait.
        expect(s.wechat.maxInFlight).toBeLessThanOrEqual(64);
        const statuses = results.map((r) => r.status);
        expect(statuses.filter((status) => status !== 404 && status !== 503)).toEqual([]);
        // Those that got a connection in time succeed; the rest are refused, not left hanging.
        expect(statuses.filter((status) => status === 404).length).toBeGreaterThan(0);
        expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
        for (const r of results.filter((res) => res.status === 503)) {
          expect(r.body).toMatchObject({ code: 'WECHAT_UNAVAILABLE' });
          expect(r.headers['retry-after']).toBeDefined();
        }
        // WECHAT_TIMEOUT_MS is 1000: nobody waits past the 2 s budget (plus slack).
        expect(elapsed).toBeLessThan(3500);
      } finally {
        s.wechat.latencyMs = 0;
      }
    });

    it('never trusts a phone answer stamped with another AppID (502)', async () => {
      s.wechat.watermarkAppId = 'wx_someone_else';
      try {
        const res = await s.flow.phoneLogin(s.wechat.phoneCode('13600000007')).expect(502);
        expect(res.body).toMatchObject({ code: 'WECHAT_BAD_RESPONSE' });
      } finally {
        s.wechat.watermarkAppId = undefined;
      }
    });

    it('answers 502 to a malformed WeChat answer', async () => {
      const notJson = s.wechat.phoneCode('13600000008');
      s.wechat.failFor(notJson, { body: 'not json at all' });
      const res = await s.flow.phoneLogin(notJson).expect(502);
      expect(res.body).toMatchObject({ code: 'WECHAT_BAD_RESPONSE' });
      const noPhone = s.wechat.phoneCode('13600000009');
      s.wechat.failFor(noPhone, { body: JSON.stringify({ errcode: 0, phone_info: {} }) });
      await s.flow.phoneLogin(noPhone).expect(502);
    });

    it('reports the token on /health/ready without its value', async () => {
      const res = await request(s.server).get('/health/ready').expect(200);
      const text = JSON.stringify(res.body);
      expect(res.body).toMatchObject({
        status: 'ok',
        details: { database: { status: 'up' }, wechatAccessToken: { tokenHeld: true } },
      });
      expect(text).not.toMatch(/sim_/);
    });
  });

  describe('classic mode', () => {
    let s: Awaited<ReturnType<typeof coldStart>>;

    beforeAll(async () => {
      s = await coldStart({ WECHAT_TOKEN_MODE: 'classic' });
    });

    afterAll(() => s.stop());

    it('fetches once with GET /cgi-bin/token and shares it across concurrent logins', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.flow.phoneLogin(s.wechat.phoneCode(`1350000${String(i).padStart(4, '0')}`)),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(404));
      const tokenCalls = s.wechat.calls.filter((c) => c.path.startsWith('/cgi-bin/'));
      expect(tokenCalls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /cgi-bin/token']);
      expect(tokenCalls[0].query).toMatchObject({
        grant_type: 'client_credential',
        appid: s.wechat.appId,
      });
    });
  });

  describe('wrong AppSecret', () => {
    let s: Awaited<ReturnType<typeof coldStart>>;

    beforeAll(async () => {
      s = await coldStart({ WECHAT_SECRET: 'not-the-right-secret' });
    });

    afterAll(() => s.stop());

    it('answers 503 WECHAT_MISCONFIGURED and is not ready', async () => {
      const res = await s.flow.phoneLogin(s.wechat.phoneCode('13400000001')).expect(503);
      expect(res.body).toMatchObject({ code: 'WECHAT_MISCONFIGURED' });
      expect(JSON.stringify(res.body)).not.toContain('not-the-right-secret');
      const ready = await request(s.server).get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({
        status: 'error',
        details: { wechatAccessToken: { status: 'down', tokenHeld: false } },
      });
      expect(s.t.logs.text).toMatch(/stable_token .*answered errcode 40125.*check WECHAT_SECRET/);
      expect(s.t.logs.text).not.toContain('not-the-right-secret');
    });
  });
});
