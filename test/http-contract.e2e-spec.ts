import request from 'supertest';
import { User } from '../src/users/user.entity';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginFlow, NotRegisteredBody } from './helpers/login-flow';
import { useAppWithFakeWechat } from './helpers/suite';
import { TestApp } from './helpers/test-app';

/** The contract's error body: every 4xx/5xx has exactly these fields (plus documented extras). */
function expectErrorBody(body: unknown, statusCode: number, code: string): void {
  expect(body).toMatchObject({
    statusCode,
    error: expect.any(String),
    code,
    message: expect.any(String),
    requestId: expect.any(String),
  });
  expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
}

describe('HTTP contract: validation, errors, compatibility route (e2e)', () => {
  const s = useAppWithFakeWechat();
  let wechat: FakeWechat;
  let t: TestApp;
  let flow: LoginFlow;

  beforeAll(() => {
    ({ wechat, t, flow } = s);
  });

  describe('POST /auth/wechat/phone-login rejects bad input with 400 and calls nobody', () => {
    const cases: [string, unknown][] = [
      ['missing code', {}],
      ['empty code', { code: '' }],
      ['numeric code', { code: 123 }],
      ['null code', { code: null }],
      ['array code', { code: ['a'] }],
      ['object code', { code: { $gt: '' } }],
      ['over-long code', { code: 'x'.repeat(129) }],
      ['unknown field', { code: 'abc', admin: true }],
      ['a JSON array', ['abc']],
    ];
    it.each(cases)('%s → 400 VALIDATION_FAILED', async (_, body) => {
      wechat.resetCalls();
      const res = await request(t.url)
        .post('/auth/wechat/phone-login')
        .send(body as object)
        .expect(400);
      expectErrorBody(res.body, 400, 'VALIDATION_FAILED');
      expect(wechat.phoneCalls).toHaveLength(0);
    });

    it('invalid JSON → 400 INVALID_JSON', async () => {
      const res = await request(t.url)
        .post('/auth/wechat/phone-login')
        .set('Content-Type', 'application/json')
        .send('{"code": ')
        .expect(400);
      expectErrorBody(res.body, 400, 'INVALID_JSON');
    });

    it('a body over 16 KiB → 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await request(t.url)
        .post('/auth/wechat/phone-login')
        .send({ code: 'x'.repeat(17 * 1024) })
        .expect(413);
      expectErrorBody(res.body, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('a non-JSON body → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const res = await request(t.url)
        .post('/auth/wechat/phone-login')
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('code=abc')
        .expect(415);
      expectErrorBody(res.body, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('POST /auth/wechat/register validates its body', () => {
    it.each([
      ['missing ticket', {}],
      ['nickname too long', { registrationTicket: 'a.b.c', nickname: 'x'.repeat(33) }],
      ['empty nickname', { registrationTicket: 'a.b.c', nickname: '' }],
      ['http avatar', { registrationTicket: 'a.b.c', avatarUrl: 'http://example.com/a.png' }],
      ['javascript avatar', { registrationTicket: 'a.b.c', avatarUrl: 'javascript:alert(1)' }],
      ['unknown field', { registrationTicket: 'a.b.c', phoneNumber: '+8613800000000' }],
    ])('%s → 400 VALIDATION_FAILED', async (_, body) => {
      const res = await flow.register(body).expect(400);
      expectErrorBody(res.body, 400, 'VALIDATION_FAILED');
    });

    it('a garbage ticket → 401 REGISTRATION_TICKET_INVALID and no user', async () => {
      const before = await t.dataSource.getRepository(User).count();
      const res = await flow.register({ registrationTicket: 'not.a.ticket' }).expect(401);
      expectErrorBody(res.body, 401, 'REGISTRATION_TICKET_INVALID');
      expect(await t.dataSource.getRepository(User).count()).toBe(before);
    });
  });

  describe('every response', () => {
    it('carries X-Request-Id, echoing a sane client id', async () => {
      const res = await request(t.url).get('/health/live').set('X-Request-Id', 'gw-123.abc');
      expect(res.headers['x-request-id']).toBe('gw-123.abc');
      const fresh = await request(t.url)
        .get('/health/live')
        .set('X-Request-Id', 'bad id; <script>');
      expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers an unknown route with the error body', async () => {
      const res = await request(t.url).get('/no/such/route').expect(404);
      expectErrorBody(res.body, 404, 'NOT_FOUND');
    });

    it('sets security headers and hides the framework', async () => {
      const res = await request(t.url).get('/health/live').expect(200);
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  describe('compatibility route /getPhoneNumber (the original sample)', () => {
    it('accepts GET ?code= with a trailing slash, as the sample really sends it', async () => {
      const res = await request(t.url)
        .get('/getPhoneNumber/')
        .query({ code: wechat.phoneCode('13700000001') })
        .expect(404);
      const data = (res.body as { data: NotRegisteredBody & { code: number; msg: string } }).data;
      expect(data).toMatchObject({
        code: 404,
        msg: expect.any(String),
        errorCode: 'PHONE_NOT_REGISTERED',
        phoneNumber: '+8613700000001',
        registrationTicket: expect.any(String),
      });
    });

    it('accepts POST { code } without the slash and logs a registered user in', async () => {
      await flow.registerNewUser('13700000002');
      const res = await request(t.url)
        .post('/getPhoneNumber')
        .send({ code: wechat.phoneCode('13700000002') })
        .expect(200);
      const data = (res.body as { data: Record<string, unknown> }).data;
      expect(data).toMatchObject({ code: 200, token: expect.any(String) });
      expect(data.token).toBe(data.accessToken);
      await request(t.url)
        .get('/users/me')
        .set('Authorization', `Bearer ${data.token as string}`)
        .expect(200);
    });

    it('keeps the envelope and the main route status for errors', async () => {
      const reused = wechat.phoneCode('13700000003');
      await request(t.url).get('/getPhoneNumber').query({ code: reused }).expect(404);
      const res = await request(t.url).get('/getPhoneNumber').query({ code: reused }).expect(401);
      expect(res.body).toMatchObject({
        data: { code: 401, errorCode: 'WECHAT_CODE_INVALID', msg: expect.any(String) },
      });
      const missing = await request(t.url).get('/getPhoneNumber/').expect(400);
      expect(missing.body).toMatchObject({ data: { code: 400, errorCode: 'VALIDATION_FAILED' } });
    });
  });

  describe('OpenAPI document', () => {
    it('lists every route with its error codes', async () => {
      const res = await request(t.url).get('/docs-json').expect(200);
      const doc = res.body as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(routes.sort()).toEqual(
        [
          'POST /auth/wechat/phone-login',
          'POST /auth/wechat/register',
          'POST /auth/wechat/session',
          'POST /auth/refresh',
          'POST /auth/logout',
          'PATCH /users/me',
          'GET /getPhoneNumber',
          'POST /getPhoneNumber',
          'GET /users/me',
          'PUT /users/me/avatar',
          'POST /users/me/avatar',
          'GET /avatars/{name}',
          'GET /health/live',
          'GET /health/ready',
        ].sort(),
      );
      const login = JSON.stringify(doc.paths['/auth/wechat/phone-login'].post.responses);
      for (const code of [
        'PHONE_NOT_REGISTERED',
        'VALIDATION_FAILED',
        'WECHAT_CODE_INVALID',
        'TOO_MANY_REQUESTS',
        'WECHAT_BAD_RESPONSE',
        'WECHAT_UNAVAILABLE',
      ]) {
        expect(login).toContain(code);
      }
      const register = JSON.stringify(doc.paths['/auth/wechat/register'].post.responses);
      for (const code of ['REGISTRATION_TICKET_INVALID', 'PHONE_ALREADY_REGISTERED']) {
        expect(register).toContain(code);
      }
      expect(JSON.stringify(doc)).not.toContain(wechat.secret);
    });

    it('serves Swagger UI at /docs', async () => {
      const res = await request(t.url).get('/docs').redirects(1).expect(200);
      expect(res.text).toContain('swagger-ui');
    });
  });
});
