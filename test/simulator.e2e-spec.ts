import request from 'supertest';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/load-config';
import { InvalidEnvironmentError } from '../src/config/validate-env';
import { useAppWithSimulator } from './helpers/suite';
import { createTestDatabase } from './helpers/test-database';
import { startApp } from './helpers/test-app';

describe('built-in WeChat simulator: `npm start` with no configuration (e2e)', () => {
  // No WECHAT_* variables at all: the simulator switches itself on.
  const s = useAppWithSimulator();

  /** A code from the simulator, as WeChat would hand it to the mini-program. */
  const mint = async (
    route: 'phone-codes' | 'login-codes',
    body: Record<string, string>,
  ): Promise<string> => {
    const res = await request(s.t.url).post(`/__wechat-sim/${route}`).send(body).expect(200);
    return (res.body as { code: string }).code;
  };
  const mintPhoneCode = (phoneNumber: string) => mint('phone-codes', { phoneNumber });

  it('runs the whole flow: 404 with ticket, register, log in with a fresh code', async () => {
    const first = await request(s.t.url)
      .post('/auth/wechat/phone-login')
      .send({ code: await mintPhoneCode('13800138000') })
      .expect(404);
    expect(first.body).toMatchObject({
      code: 'PHONE_NOT_REGISTERED',
      phoneNumber: '+8613800138000',
    });
    const ticket = (first.body as { registrationTicket: string }).registrationTicket;

    await request(s.t.url)
      .post('/auth/wechat/register')
      .send({ registrationTicket: ticket, nickname: 'Alice' })
      .expect(201);

    const login = await request(s.t.url)
      .post('/auth/wechat/phone-login')
      .send({ code: await mintPhoneCode('+8613800138000') })
      .expect(200);
    expect(login.body).toMatchObject({ user: { nickname: 'Alice' } });
  });

  it('keeps WeChat semantics: a simulator code is single-use', async () => {
    const code = await mintPhoneCode('13800138001');
    await request(s.t.url).post('/auth/wechat/phone-login').send({ code }).expect(404);
    const again = await request(s.t.url)
      .post('/auth/wechat/phone-login')
      .send({ code })
      .expect(401);
    expect(again.body).toMatchObject({ code: 'WECHAT_CODE_INVALID' });
  });

  it('mints wx.login codes too', async () => {
    const res = await request(s.t.url)
      .post('/__wechat-sim/login-codes')
      .send({ openid: 'o_alice' })
      .expect(200);
    expect(res.body).toEqual({ code: expect.stringMatching(/^[0-9a-f]{48}$/) });
  });

  it('validates what it is asked to mint', async () => {
    const res = await request(s.t.url)
      .post('/__wechat-sim/phone-codes')
      .send({ phoneNumber: 'not a phone' })
      .expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('is ready and documents the simulator routes', async () => {
    await request(s.t.url).get('/health/ready').expect(200);
    const doc = await request(s.t.url).get('/docs-json').expect(200);
    expect(Object.keys((doc.body as { paths: object }).paths)).toEqual(
      expect.arrayContaining(['/__wechat-sim/phone-codes', '/__wechat-sim/login-codes']),
    );
  });

  describe('POST /__wechat-sim/faults', () => {
    const fault = (body: Record<string, unknown>) =>
      request(s.t.url).post('/__wechat-sim/faults').send(body);
    const mintLoginCode = (openid: string) => mint('login-codes', { openid });

    it('makes the next wx.login code answer 40226 → 403 WECHAT_USER_BLOCKED, then WeChat behaves again', async () => {
      const res = await fault({ api: 'jscode2session', errcode: 40226 }).expect(200);
      expect(res.body).toEqual({ api: 'jscode2session', pending: 1 });
      const blocked = await request(s.t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: await mintLoginCode('o_blocked') })
        .expect(403);
      expect(blocked.body).toMatchObject({ code: 'WECHAT_USER_BLOCKED' });
      expect(JSON.stringify(blocked.body)).not.toContain('simulated fault');
      await request(s.t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: await mintLoginCode('o_blocked') })
        .expect(404);
    });

    it('45011 on the phone call → 429, -1 twice → 503 after the retry, `count` calls in order', async () => {
      await fault({ api: 'getuserphonenumber', errcode: 45011 }).expect(200);
      const queued = await fault({ api: 'getuserphonenumber', errcode: -1, count: 2 }).expect(200);
      expect(queued.body).toEqual({ api: 'getuserphonenumber', pending: 3 });
      const login = async () =>
        request(s.t.url)
          .post('/auth/wechat/phone-login')
          .send({ code: await mintPhoneCode('13800138111') });
      expect((await login()).body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_REQUESTS' });
      const busy = await login();
      expect(busy.body).toMatchObject({ statusCode: 503, code: 'WECHAT_UNAVAILABLE' });
      expect(busy.headers['retry-after']).toBeDefined();
      expect((await login()).status).toBe(404);
    });

    it('validates the fault', async () => {
      for (const body of [
        { api: 'nope', errcode: 40226 },
        { api: 'jscode2session', errcode: 0 },
        { api: 'jscode2session', errcode: 'x' },
        { api: 'jscode2session', errcode: 45011, count: 0 },
        { api: 'jscode2session', errcode: 45011, count: 101 },
        { api: 'jscode2session', errcode: 45011, extra: true },
        { errcode: 45011 },
      ]) {
        const res = await fault(body).expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });

    it('is documented in the OpenAPI document', async () => {
      const doc = await request(s.t.url).get('/docs-json').expect(200);
      const paths = (doc.body as { paths: Record<string, { post?: unknown }> }).paths;
      expect(paths['/__wechat-sim/faults']?.post).toBeDefined();
      expect(JSON.stringify(doc.body)).toContain('msg_sec_check');
      expect(JSON.stringify(paths['/auth/wechat/session'])).toContain('WECHAT_USER_BLOCKED');
    });
  });

  it('is refused in production, with every problem listed at once', () => {
    let thrown: unknown;
    try {
      AppModule.forRoot(loadConfig({ NODE_ENV: 'production', WECHAT_SIMULATOR: 'true' }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidEnvironmentError);
    const problems = (thrown as InvalidEnvironmentError).problems.join('\n');
    expect(problems).toMatch(/WECHAT_SIMULATOR/);
    expect(problems).toMatch(/JWT_SECRET/);
  });
});

describe('simulator off (e2e)', () => {
  it('has no /__wechat-sim routes', async () => {
    const db = await createTestDatabase();
    const t = await startApp({
      databaseUrl: db.url,
      env: {
        WECHAT_SIMULATOR: 'false',
        WECHAT_APPID: 'wx_real_app',
        WECHAT_SECRET: 'real-secret',
        WECHAT_API_BASE_URL: 'http://127.0.0.1:9',
      },
    });
    try {
      await request(t.url)
        .post('/__wechat-sim/phone-codes')
        .send({ phoneNumber: '13800138000' })
        .expect(404);
    } finally {
      await t.close();
      await db.drop();
    }
  });
});

describe('simulator with several mini-programs (e2e)', () => {
  const SHOP = { appId: 'wx_sim_shop_000001', secret: 'shop-secret' };
  const CARD = { appId: 'wx_sim_card_000002', secret: 'card-secret' };
  const s = useAppWithSimulator({
    WECHAT_SIMULATOR: 'true',
    WECHAT_APPS: JSON.stringify([SHOP, CARD]),
  });

  it('names the app of a minted code as the login routes do: X-WX-AppId or WeChat’s Referer', async () => {
    const byHeader = await request(s.t.url)
      .post('/__wechat-sim/phone-codes')
      .set('X-WX-AppId', CARD.appId)
      .send({ phoneNumber: '13800138000' })
      .expect(200);
    // The card's code logs in to the card (its watermark names the card), nowhere else.
    await request(s.t.url)
      .post('/auth/wechat/phone-login')
      .set('X-WX-AppId', CARD.appId)
      .send({ code: (byHeader.body as { code: string }).code })
      .expect(404);

    const byReferer = await request(s.t.url)
      .post('/__wechat-sim/login-codes')
      .set('Referer', `https://servicewechat.com/${SHOP.appId}/0/page-frame.html`)
      .send({ openid: 'o_sim_shop' })
      .expect(200);
    const session = await request(s.t.url)
      .post('/auth/wechat/session')
      .set('X-WX-AppId', CARD.appId)
      .send({ loginCode: (byReferer.body as { code: string }).code })
      .expect(401);
    expect(session.body).toMatchObject({ code: 'WECHAT_CODE_INVALID' });
  });

  it('asks the client to name its app, and no longer reads it from the body', async () => {
    const missing = await request(s.t.url)
      .post('/__wechat-sim/phone-codes')
      .send({ phoneNumber: '13800138000' })
      .expect(400);
    expect(missing.body).toMatchObject({ code: 'UNKNOWN_APPID' });
    const unknown = await request(s.t.url)
      .post('/__wechat-sim/login-codes')
      .set('X-WX-AppId', 'wx_not_ours')
      .send({})
      .expect(400);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_APPID' });
    const inBody = await request(s.t.url)
      .post('/__wechat-sim/phone-codes')
      .set('X-WX-AppId', CARD.appId)
      .send({ phoneNumber: '13800138000', appId: SHOP.appId })
      .expect(400);
    expect(inBody.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
