import { Socket, connect } from 'node:net';
import request from 'supertest';
import { FakeWechat } from './helpers/fake-wechat';
import { NotRegisteredBody } from './helpers/login-flow';
import { useAppWithFakeWechat, useAppWithSimulator } from './helpers/suite';
import { startApp, TestApp } from './helpers/test-app';
import { createTestDatabase, TestDatabase } from './helpers/test-database';

const NO_STORE = 'no-store';

describe('Cache-Control: no-store on everything that carries tokens, tickets or phones (e2e)', () => {
  const s = useAppWithFakeWechat();

  it('phone-login: the 404 with the number and ticket, and the 200 with tokens', async () => {
    const notRegistered = await s.flow.phoneLogin(s.wechat.phoneCode('13700000001')).expect(404);
    expect(notRegistered.headers['cache-control']).toBe(NO_STORE);

    const ticket = (notRegistered.body as NotRegisteredBody).registrationTicket;
    const registered = await s.flow.register({ registrationTicket: ticket }).expect(201);
    expect(registered.headers['cache-control']).toBe(NO_STORE);

    const login = await request(s.t.url)
      .post('/auth/wechat/phone-login')
      .send({ code: s.wechat.phoneCode('13700000001'), loginCode: s.wechat.loginCode('o-nostore') })
      .expect(200);
    expect(login.headers['cache-control']).toBe(NO_STORE);
  });

  it('session (200 and 404), refresh (200 and 401), /users/me (GET and PATCH)', async () => {
    const { accessToken, refreshToken } = await s.flow.registerNewUser('13700000002');
    await request(s.t.url)
      .post('/auth/wechat/phone-login')
      .send({ code: s.wechat.phoneCode('13700000002'), loginCode: s.wechat.loginCode('o-bound') })
      .expect(200);
    const answers = [
      await request(s.t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: s.wechat.loginCode('o-bound') })
        .expect(200),
      await request(s.t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: s.wechat.loginCode('o-unknown') })
        .expect(404),
      await request(s.t.url).post('/auth/refresh').send({ refreshToken }).expect(200),
      await request(s.t.url).post('/auth/refresh').send({ refreshToken: 'rt_nope' }).expect(401),
      await request(s.t.url)
        .get('/users/me')
        .set('Authorization', `Bearer ${accessToken}`)
        .expect(200),
      await request(s.t.url)
        .patch('/users/me')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ nickname: '小明' })
        .expect(200),
      await request(s.t.url).post('/auth/wechat/phone-login').send({}).expect(400),
    ];
    for (const res of answers) expect(res.headers['cache-control']).toBe(NO_STORE);
  });

  it('the compatibility route /getPhoneNumber, success and error envelopes', async () => {
    await s.flow.registerNewUser('13700000003');
    const ok = await request(s.t.url)
      .get('/getPhoneNumber/')
      .query({ code: s.wechat.phoneCode('13700000003') })
      .expect(200);
    expect((ok.body as { data: { code: number } }).data.code).toBe(200);
    const notRegistered = await request(s.t.url)
      .post('/getPhoneNumber')
      .send({ code: s.wechat.phoneCode('13700000004') });
    expect((notRegistered.body as { data: { code: number } }).data.code).toBe(404);
    const refused = await request(s.t.url).post('/getPhoneNumber').send({});
    expect((refused.body as { data: { code: number } }).data.code).toBe(400);

    for (const res of [ok, notRegistered, refused]) {
      expect(res.headers['cache-control']).toBe(NO_STORE);
    }
  });
});

describe('simulator code responses (e2e)', () => {
  const sim = useAppWithSimulator();

  it('are no-store: a code is as good as a phone number', async () => {
    const phone = await request(sim.t.url)
      .post('/__wechat-sim/phone-codes')
      .send({ phoneNumber: '13800138000' })
      .expect(200);
    const login = await request(sim.t.url).post('/__wechat-sim/login-codes').send({}).expect(200);

    expect(phone.headers['cache-control']).toBe(NO_STORE);
    expect(login.headers['cache-control']).toBe(NO_STORE);
  });
});

/** Resolves with what the server wrote and how long it took to close the socket. */
function stallMidBody(port: number): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'POST /auth/wechat/phone-login HTTP/1.1\r\nHost: x\r\n' +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"code":"',
      );
    });
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
    // Far beyond the limit under test, far below Node's default of 5 minutes.
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error('the server kept a stalled request open for 10 s'));
    });
  });
}

describe('a client that stalls mid-body (e2e)', () => {
  let db: TestDatabase;
  let wechat: FakeWechat;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    wechat = await FakeWechat.start();
    t = await startApp({ databaseUrl: db.url, wechat, env: { HTTP_REQUEST_TIMEOUT: '1s' } });
  });
  afterAll(async () => {
    await t?.close();
    await wechat?.stop();
    await db?.drop();
  });

  it('gets 408 and a closed connection once HTTP_REQUEST_TIMEOUT has passed', async () => {
    const port = Number(new URL(t.url).port);

    const { answer, closedAfterMs } = await stallMidBody(port);

    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(10_000);
  });
});

describe('/health/ready pings the database at most once per window (e2e)', () => {
  const s = useAppWithFakeWechat();
  let pings = 0;

  beforeAll(() => {
    // Counted where TypeORM reports every query it runs.
    const logger = s.t.dataSource.logger;
    const logQuery = logger.logQuery.bind(logger);
    logger.logQuery = (query, parameters, queryRunner) => {
      if (/^SELECT 1\b/i.test(query)) pings += 1;
      logQuery(query, parameters, queryRunner);
    };
  });

  it('shares one ping among concurrent and repeated calls, and pings again once the window moves', async () => {
    // A login waits for the WeChat token fetched at boot, which readiness also needs.
    await s.flow.registerNewUser('13700000009');
    s.t.clock.advance(60_000);
    const before = pings;

    const concurrent = await Promise.all(
      Array.from({ length: 20 }, () => request(s.t.url).get('/health/ready')),
    );
    for (let i = 0; i < 5; i++) await request(s.t.url).get('/health/ready').expect(200);

    expect(concurrent.map((res) => res.status)).toEqual(Array(20).fill(200));
    expect(pings - before).toBe(1);

    s.t.clock.advance(500);
    const after = await request(s.t.url).get('/health/ready').expect(200);
    expect(pings - before).toBe(2);
    expect(after.body).toMatchObject({ details: { database: { status: 'up' } } });
  });
});
