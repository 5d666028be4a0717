import { generateKeyPairSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { User } from '../src/users/user.entity';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginBody, LoginFlow, NotRegisteredBody } from './helpers/login-flow';
import { useAppWithFakeWechat } from './helpers/suite';
import { TestApp } from './helpers/test-app';

describe('phone login and registration (e2e)', () => {
  const s = useAppWithFakeWechat();
  let wechat: FakeWechat;
  let t: TestApp;
  let server: string;
  let flow: LoginFlow;

  beforeAll(() => {
    ({ wechat, t, flow } = s);
    server = t.url;
  });

  const userCount = () => t.dataSource.getRepository(User).count();

  it('answers 404 PHONE_NOT_REGISTERED with the verified phone and a ticket, and writes nothing', async () => {
    const before = await userCount();
    const res = await flow.phoneLogin(wechat.phoneCode('13800138001')).expect(404);
    const body = res.body as NotRegisteredBody & { statusCode: number; requestId: string };
    expect(body).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
      code: 'PHONE_NOT_REGISTERED',
      phoneNumber: '+8613800138001',
      purePhoneNumber: '13800138001',
      countryCode: '86',
      registrationTicketExpiresIn: 600,
    });
    expect(body.registrationTicket).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(body.requestId).toBe(res.headers['x-request-id']);
    expect(await userCount()).toBe(before);
  });

  it('sends the access token in the query string and the code in the body', async () => {
    wechat.resetCalls();
    const code = wechat.phoneCode('13800138002');
    await flow.phoneLogin(code).expect(404);
    const [call] = wechat.phoneCalls;
    expect(call.method).toBe('POST');
    expect(call.query.access_token).toMatch(/^sim_/);
    expect(call.body).toEqual({ code });
  });

  it('registers with the ticket, then logs the user in with a fresh code', async () => {
    const first = await flow.phoneLogin(wechat.phoneCode('13800138003')).expect(404);
    const ticket = (first.body as NotRegisteredBody).registrationTicket;

    const registered = await flow
      .register({
        registrationTicket: ticket,
        nickname: '小明😀',
        avatarUrl: 'https://thirdwx.qlogo.cn/a.png',
      })
      .expect(201);
    const session = registered.body as LoginBody;
    expect(session).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { phoneNumber: '+8613800138003', nickname: '小明😀' },
    });

    const login = await flow.phoneLogin(wechat.phoneCode('13800138003')).expect(200);
    const body = login.body as LoginBody;
    expect(body.user.id).toBe(session.user.id);
    expect(body.accessToken).toEqual(expect.any(String));
    expect(body.refreshToken).toEqual(expect.any(String));

    const me = await request(server)
      .get('/users/me')
      .set('Authorization', `Bearer ${body.accessToken}`)
      .expect(200);
    expect(me.body).toMatchObject({
      id: session.user.id,
      phoneNumber: '+8613800138003',
      purePhoneNumber: '13800138003',
      countryCode: '86',
      nickname: '小明😀',
      avatarUrl: 'https://thirdwx.qlogo.cn/a.png',
    });
  });

  it('stores phones in E.164 for any country code WeChat reports', async () => {
    const code = wechat.phoneCode('2025550199', '1');
    const res = await flow.phoneLogin(code).expect(404);
    expect(res.body).toMatchObject({
      phoneNumber: '+12025550199',
      purePhoneNumber: '2025550199',
      countryCode: '1',
    });
  });

  it('refuses a reused code with 401 WECHAT_CODE_INVALID', async () => {
    const code = wechat.phoneCode('13800138004');
    await flow.phoneLogin(code).expect(404);
    const res = await flow.phoneLogin(code).expect(401);
    expect(res.body).toMatchObject({ code: 'WECHAT_CODE_INVALID', statusCode: 401 });
  });

  it('refuses a code older than 5 minutes with 401 WECHAT_CODE_INVALID', async () => {
    const code = wechat.phoneCode('13800138005');
    wechat.clock.advance(5 * 60_000 + 1000);
    const res = await flow.phoneLogin(code).expect(401);
    expect(res.body).toMatchObject({ code: 'WECHAT_CODE_INVALID' });
  });

  it('refuses an unknown code and never retries it', async () => {
    wechat.resetCalls();
    await flow.phoneLogin('not-a-real-code').expect(401);
    expect(wechat.phoneCalls).toHaveLength(1);
  });

  it('makes a ticket single-use: the second register answers 409 and adds no row', async () => {
    const first = await flow.phoneLogin(wechat.phoneCode('13800138006')).expect(404);
    const ticket = (first.body as NotRegisteredBody).registrationTicket;
    await flow.register({ registrationTicket: ticket }).expect(201);
    const before = await userCount();
    const again = await flow.register({ registrationTicket: ticket }).expect(409);
    expect(again.body).toMatchObject({ code: 'PHONE_ALREADY_REGISTERED' });
    expect(await userCount()).toBe(before);
  });

  it('answers 409 when a second ticket for an already registered phone is used', async () => {
    const a = await flow.phoneLogin(wechat.phoneCode('13800138007')).expect(404);
    const b = await flow.phoneLogin(wechat.phoneCode('13800138007')).expect(404);
    await flow
      .register({ registrationTicket: (a.body as NotRegisteredBody).registrationTicket })
      .expect(201);
    const res = await flow
      .register({ registrationTicket: (b.body as NotRegisteredBody).registrationTicket })
      .expect(409);
    expect(res.body).toMatchObject({ code: 'PHONE_ALREADY_REGISTERED', statusCode: 409 });
  });

  it('lets exactly one of 20 racing registrations with one ticket win', async () => {
    const first = await flow.phoneLogin(wechat.phoneCode('13800138008')).expect(404);
    const ticket = (first.body as NotRegisteredBody).registrationTicket;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => flow.register({ registrationTicket: ticket })),
    );
    const statuses = results.map((res) => res.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 201).every((s) => s === 409 || s === 401)).toBe(true);
    const rows = await t.dataSource.getRepository(User).countBy({ phoneNumber: '+8613800138008' });
    expect(rows).toBe(1);
  });

  it('refuses an access token, a tampered ticket and an expired ticket as registration tickets', async () => {
    const session = await flow.registerNewUser('13800138009');
    const asTicket = await flow.register({ registrationTicket: session.accessToken }).expect(401);
    expect(asTicket.body).toMatchObject({ code: 'REGISTRATION_TICKET_INVALID' });

    const res = await flow.phoneLogin(wechat.phoneCode('13800138010')).expect(404);
    const ticket = (res.body as NotRegisteredBody).registrationTicket;
    const [header, payload, signature] = ticket.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: '+8613999999999' })).toString(
      'base64url',
    );
    await flow.register({ registrationTicket: `${header}.${forged}.${signature}` }).expect(401);

    t.clock.advance(10 * 60_000 + 1000);
    const expired = await flow.register({ registrationTicket: ticket }).expect(401);
    expect(expired.body).toMatchObject({ code: 'REGISTRATION_TICKET_INVALID' });
    expect(await t.dataSource.getRepository(User).countBy({ phoneNumber: '+8613800138010' })).toBe(
      0,
    );
  });

  it('refuses a registration ticket and a refresh token as Bearer tokens', async () => {
    const session = await flow.registerNewUser('13800138011');
    const res = await flow.phoneLogin(wechat.phoneCode('13800138012')).expect(404);
    for (const token of [
      (res.body as NotRegisteredBody).registrationTicket,
      session.refreshToken,
      'garbage',
    ]) {
      const me = await request(server)
        .get('/users/me')
        .set('Authorization', `Bearer ${token}`)
        .expect(401);
      expect(me.body).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    await request(server).get('/users/me').expect(401);
  });

  it('refuses access tokens signed with RS256, with another secret, or expired', async () => {
    const session = await flow.registerNewUser('13800138014');
    const [, payload] = session.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signer = new JwtService();
    const rs256 = signer.sign(claims, { privateKey, algorithm: 'RS256' });
    const otherSecret = signer.sign(claims, {
      secret: 'another-secret-of-sufficient-length-0123456789',
    });
    for (const token of [rs256, otherSecret]) {
      await request(server).get('/users/me').set('Authorization', `Bearer ${token}`).expect(401);
    }
    await request(server)
      .get('/users/me')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(200);
    t.clock.advance(15 * 60_000 + 1000);
    await request(server)
      .get('/users/me')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(401);
  });

  it('refuses an unsigned (alg: none) access token', async () => {
    const session = await flow.registerNewUser('13800138013');
    const [, payload] = session.accessToken.split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    await request(server)
      .get('/users/me')
      .set('Authorization', `Bearer ${none}.${payload}.`)
      .expect(401);
  });
});
