import request from 'supertest';
import { FakeWechat } from './helpers/fake-wechat';
import { useDatabaseAndFakeWechat } from './helpers/suite';
import { LoginBody, LoginFlow, NotRegisteredBody } from './helpers/login-flow';
import { TcpProxy } from './helpers/tcp-proxy';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { harnessEnvironment } from '../src/config/harness-environment';
import { E2E_JWT_SECRET, startApp, TestApp } from './helpers/test-app';

const PRODUCTION = { NODE_ENV: 'production' };

describe('secure defaults in production (e2e)', () => {
  const shared = useDatabaseAndFakeWechat();
  let db: TestDatabase;
  let wechat: FakeWechat;

  beforeAll(() => {
    ({ db, wechat } = shared);
  });

  describe('defaults', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp({ databaseUrl: db.url, wechat, env: PRODUCTION });
    });

    afterAll(() => t.close());

    it('does not serve /docs unless SWAGGER_ENABLED=true', async () => {
      await request(t.url).get('/docs-json').expect(404);
      await request(t.url).get('/docs').expect(404);
    });

    it('sends no CORS headers unless CORS_ORIGINS is set', async () => {
      const res = await request(t.url)
        .options('/auth/wechat/phone-login')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('sets helmet headers and no x-powered-by', async () => {
      const res = await request(t.url).get('/health/live').expect(200);
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['strict-transport-security']).toContain('max-age=');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    });

    it('logs JSON lines, one per request with method, route, status, duration and requestId', async () => {
      const res = await request(t.url)
        .post('/auth/wechat/phone-login')
        .set('X-Request-Id', 'trace-me-123')
        .send({ code: wechat.phoneCode('13600136000') })
        .expect(404);
      expect(res.headers['x-request-id']).toBe('trace-me-123');
      const lines = t.logs.lines
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.reqId === 'trace-me-123' && entry.res !== undefined);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        route: '/auth/wechat/phone-login',
        req: { method: 'POST' },
        res: { statusCode: 404 },
        responseTime: expect.any(Number),
      });
    });

    it("binds the request's reqId to the app's own lines logged while it runs", async () => {
      const rid = 'e2e-reqid-bound-7f3a';
      const code = wechat.phoneCode('13600136002');
      wechat.failFor(code, { errcode: 40029, errmsg: `invalid code rid: ${rid}` });
      await request(t.url)
        .post('/auth/wechat/phone-login')
        .set('X-Request-Id', 'trace-me-456')
        .send({ code })
        .expect(401);
      const lines = t.logs.lines
        .filter((line) => line.startsWith('{') && line.includes(rid))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ reqId: 'trace-me-456', context: 'WechatApi' });
    });

    it('answers a server fault with a generic 500 and keeps the stack in the log', async () => {
      const flow = new LoginFlow(t.url, wechat);
      await flow.registerNewUser('13600136001');
      await t.dataSource.query('DROP TABLE refresh_tokens');
      const res = await flow.phoneLogin(wechat.phoneCode('13600136001')).expect(500);
      expect(res.body).toMatchObject({
        statusCode: 500,
        code: 'INTERNAL_ERROR',
        requestId: expect.any(String),
      });
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/refresh_tokens|SQL|QueryFailed|at \w|\.ts/i);
      const requestId = (res.body as { requestId: string }).requestId;
      const logged = t.logs.lines.find(
        (line) => line.includes(requestId) && /refresh_tokens/.test(line),
      );
      expect(logged).toBeDefined();
    });
  });

  describe('explicit settings', () => {
    let other: TestDatabase;
    let t: TestApp;

    beforeAll(async () => {
      other = await createTestDatabase();
      t = await startApp({
        databaseUrl: other.url,
        wechat,
        env: {
          ...PRODUCTION,
          SWAGGER_ENABLED: 'true',
          CORS_ORIGINS: 'https://admin.example.com',
        },
      });
    });

    afterAll(async () => {
      await t.close();
      await other.drop();
    });

    it('serves /docs when asked to', async () => {
      await request(t.url).get('/docs-json').expect(200);
    });

    it('allows exactly the listed CORS origins', async () => {
      const allowed = await request(t.url)
        .get('/health/live')
        .set('Origin', 'https://admin.example.com');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://admin.example.com');
      const other = await request(t.url).get('/health/live').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('no secret in the log over a whole session (e2e)', () => {
  it('never logs the AppSecret, tokens, tickets, codes, session_key or a full phone number', async () => {
    const db = await createTestDatabase();
    const wechat = await FakeWechat.start();
    const t = await startApp({ databaseUrl: db.url, wechat });
    const flow = new LoginFlow(t.url, wechat);
    const secrets: string[] = [wechat.secret, E2E_JWT_SECRET];
    try {
      const phone = '13712345678';
      const phoneCode = wechat.phoneCode(phone);
      const loginCode = wechat.loginCode('o_secret_owner');
      secrets.push(phoneCode, loginCode);
      const first = await request(t.url)
        .post('/auth/wechat/phone-login')
        .send({ code: phoneCode, loginCode })
        .expect(404);
      const ticket = (first.body as NotRegisteredBody).registrationTicket;
      secrets.push(ticket);
      const registered = (await flow.register({ registrationTicket: ticket }).expect(201))
        .body as LoginBody;
      secrets.push(registered.accessToken, registered.refreshToken);
      const refreshed = (
        await request(t.url)
          .post('/auth/refresh')
          .send({ refreshToken: registered.refreshToken })
          .expect(200)
      ).body as LoginBody;
      secrets.push(refreshed.accessToken, refreshed.refreshToken);
      const silentCode = wechat.loginCode('o_secret_owner');
      secrets.push(silentCode);
      await request(t.url).post('/auth/wechat/session').send({ loginCode: silentCode }).expect(200);
      const compatCode = wechat.phoneCode(phone);
      secrets.push(compatCode);
      await request(t.url).get('/getPhoneNumber').query({ code: compatCode }).expect(200);
      await request(t.url)
        .get('/users/me')
        .set('Authorization', `Bearer ${refreshed.accessToken}`)
        .expect(200);
      // A failing call too: errors are where secrets usually leak.
      await request(t.url).post('/auth/refresh').send({ refreshToken: registered.refreshToken });
      for (const call of wechat.calls) {
        if (call.query.access_token) secrets.push(call.query.access_token);
        if (typeof call.answer?.session_key === 'string') secrets.push(call.answer.session_key);
        if (typeof call.answer?.access_token === 'string') secrets.push(call.answer.access_token);
      }
      const log = t.logs.text;
      expect(log.length).toBeGreaterThan(1000);
      for (const secret of new Set(secrets)) {
        expect({ secret, found: log.includes(secret) }).toEqual({ secret, found: false });
      }
      expect(log).not.toContain(phone);
      expect(log).toContain('137****5678');
    } finally {
      await t.close();
      await wechat.stop();
      await db.drop();
    }
  });
});

const describeOnMysql = harnessEnvironment().mysqlUrl ? describe : describe.skip;

describeOnMysql('database outage on MariaDB (e2e)', () => {
  let db: TestDatabase;
  let wechat: FakeWechat;
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    const url = new URL(db.url);
    proxy = new TcpProxy(url.hostname, Number(url.port || 3306));
    await proxy.start();
    url.port = String(proxy.port);
    wechat = await FakeWechat.start();
    t = await startApp({ databaseUrl: url.toString(), wechat });
  });

  afterAll(async () => {
    await t.close();
    await proxy.stop();
    await wechat.stop();
    await db.drop();
  });

  it('answers 503 quickly while the database is away, and recovers without a restart', async () => {
    const flow = new LoginFlow(t.url, wechat);
    await flow.registerNewUser('13800000001');
    await request(t.url).get('/health/ready').expect(200);
    proxy.down();
    // Readiness reuses a ping's answer for half a second; past that it asks again.
    t.clock.advance(500);

    const started = Date.now();
    const ready = await request(t.url).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1500);

    const login = await flow.phoneLogin(wechat.phoneCode('13800000001')).expect(503);
    expect(login.body).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(login.headers['retry-after']).toBeDefined();

    proxy.up();
    t.clock.advance(500);
    await request(t.url).get('/health/ready').expect(200);
    await flow.phoneLogin(wechat.phoneCode('13800000001')).expect(200);
  });
});
