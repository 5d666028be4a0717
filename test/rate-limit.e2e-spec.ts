import { randomInt } from 'node:crypto';
import { getStorageToken, ThrottlerStorage } from '@nestjs/throttler';
import request from 'supertest';
import { harnessEnvironment } from '../src/config/harness-environment';
import { DEFAULT_MAX_COUNTERS } from '../src/rate-limit/bounded-throttler.storage';
import { FakeWechat } from './helpers/fake-wechat';
import { useDatabaseAndFakeWechat } from './helpers/suite';
import { TestDatabase } from './helpers/test-database';
import { startApp, TestApp } from './helpers/test-app';

/** Redis-backed limits are tested where a Redis server is named (CI sets it). */
const REDIS_URL = harnessEnvironment().redisUrl;
const describeWithRedis = REDIS_URL ? describe : describe.skip;

/** The in-memory store's counter count (`storage` is where the library's own store keeps them). */
type HeldCounters = ThrottlerStorage & { size?: number; storage?: Map<string, unknown> };

/** An address no other test run uses, so Redis counters never collide. */
const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe('rate limits (e2e)', () => {
  const shared = useDatabaseAndFakeWechat();
  let db: TestDatabase;
  let wechat: FakeWechat;

  beforeAll(() => {
    ({ db, wechat } = shared);
  });

  /** The app on the shared database and fake WeChat with these variables, for one describe block. */
  function useAppWith(env: Record<string, string>): { t: TestApp } {
    const app = {} as { t: TestApp };
    beforeAll(async () => {
      app.t = await startApp({ databaseUrl: db.url, wechat, env });
    });
    afterAll(() => app.t.close());
    return app;
  }

  describe('in memory', () => {
    const app = useAppWith({
      RATE_LIMIT_PER_MIN: '8',
      RATE_LIMIT_AUTH_PER_MIN: '3',
      TRUST_PROXY: '1',
    });

    it('behind one proxy, counts the last X-Forwarded-For entry: a forged leftmost entry changes nothing', async () => {
      const client = '203.0.113.7';
      for (let i = 0; i < 3; i++) {
        await request(app.t.url)
          .post('/auth/wechat/phone-login')
          .set('X-Forwarded-For', `198.51.100.${i}, ${client}`)
          .send({ code: wechat.phoneCode(`1392000000${i}`) })
          .expect(404);
      }
      wechat.resetCalls();
      for (let i = 0; i < 20; i++) {
        await request(app.t.url)
          .post('/auth/wechat/phone-login')
          .set('X-Forwarded-For', `198.51.${randomInt(256)}.${randomInt(256)}, ${client}`)
          .send({ code: wechat.phoneCode(`1392100000${i % 10}`) })
          .expect(429);
      }
      expect(wechat.phoneCalls).toHaveLength(0);
    });

    it.each([
      ['POST', '/AUTH/wechat/phone-login'],
      ['POST', '/Auth/Wechat/Phone-Login/'],
      ['GET', '/getphonenumber'],
      ['GET', '/GETPHONENUMBER/'],
      ['POST', '/AUTH/refresh'],
    ])('applies the auth limit to %s %s, however the path is spelled', async (method, path) => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const req =
          method === 'GET' ? request(app.t.url).get(path) : request(app.t.url).post(path).send({});
        statuses.push((await req.set('X-Forwarded-For', ip)).status);
      }
      // 400: the route was matched (an empty body); the 4th is over the auth limit of 3.
      expect(statuses).toEqual([400, 400, 400, 429]);
    });

    it('shares one auth counter across the auth routes', async () => {
      const ip = freshIp();
      await request(app.t.url)
        .post('/auth/refresh')
        .set('X-Forwarded-For', ip)
        .send({})
        .expect(400);
      await request(app.t.url).get('/getPhoneNumber').set('X-Forwarded-For', ip).expect(400);
      await request(app.t.url)
        .post('/auth/wechat/session')
        .set('X-Forwarded-For', ip)
        .send({})
        .expect(400);
      await request(app.t.url)
        .post('/auth/wechat/register')
        .set('X-Forwarded-For', ip)
        .send({})
        .expect(429);
    });

    it('counts IPv6 clients by their /64', async () => {
      const statuses: number[] = [];
      for (let i = 1; i <= 4; i++) {
        const ip = `2001:db8:${randomInt(65536).toString(16)}:42::${i}`;
        const res = await request(app.t.url)
          .post('/auth/refresh')
          .set('X-Forwarded-For', ip.replace('::', ':0:0:0:'))
          .send({});
        statuses.push(res.status);
      }
      expect(statuses).toEqual([400, 400, 400, 400]);
      const net = `2001:db8:ffff:${randomInt(65536).toString(16)}`;
      for (let i = 1; i <= 4; i++) {
        const res = await request(app.t.url)
          .post('/auth/refresh')
          .set('X-Forwarded-For', `${net}:${i}::${randomInt(65536).toString(16)}`)
          .send({});
        statuses.push(res.status);
      }
      expect(statuses.slice(4)).toEqual([400, 400, 400, 429]);
    });

    it.each([
      ['203.0.113.77', '203.0.113.0/24'],
      ['::ffff:198.51.100.23', '198.51.100.0/24'],
      ['2001:db8:abcd:12:1::7', '2001:db8:abcd::/48'],
    ])('logs the client IP %s masked as %s', async (ip, masked) => {
      const requestId = `client-ip-${randomInt(1e9)}`;
      await request(app.t.url)
        .get('/users/me')
        .set('X-Request-Id', requestId)
        .set('X-Forwarded-For', `192.0.2.99, ${ip}`)
        .expect(401);
      const lines = app.t.logs.lines.filter((line) => line.includes(requestId));
      const entry = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((e) => e.res !== undefined);
      expect(entry).toMatchObject({ route: '/users/me', clientIp: masked });
      expect(lines.join('\n')).not.toContain(ip);
      expect(lines.join('\n')).not.toContain('192.0.2.99');
    });

    it('answers 429 TOO_MANY_REQUESTS with Retry-After past the auth limit, before calling WeChat', async () => {
      const ip = freshIp();
      for (let i = 0; i < 3; i++) {
        await request(app.t.url)
          .post('/auth/wechat/phone-login')
          .set('X-Forwarded-For', ip)
          .send({ code: wechat.phoneCode(`1390000000${i}`) })
          .expect(404);
      }
      wechat.resetCalls();
      const res = await request(app.t.url)
        .post('/auth/wechat/phone-login')
        .set('X-Forwarded-For', ip)
        .send({ code: wechat.phoneCode('13900000009') })
        .expect(429);
      expect(res.body).toMatchObject({
        statusCode: 429,
        code: 'TOO_MANY_REQUESTS',
        requestId: expect.any(String),
      });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(wechat.phoneCalls).toHaveLength(0);
    });

    it('counts the compatibility route against the auth limit too', async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await request(app.t.url)
          .get('/getPhoneNumber')
          .set('X-Forwarded-For', ip)
          .query({ code: 'x' });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    });

    it('limits every route per IP, and keeps other clients unaffected', async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 9; i++) {
        statuses.push(
          (await request(app.t.url).get('/users/me').set('X-Forwarded-For', ip)).status,
        );
      }
      expect(statuses).toEqual([...Array(8).fill(401), 429]);
      await request(app.t.url).get('/users/me').set('X-Forwarded-For', freshIp()).expect(401);
    });

    it('holds a bounded number of counters, however many distinct clients appear', async () => {
      // Straight to the app's store: 60 000 clients over HTTP would take minutes.
      const storage = app.t.app.get<HeldCounters>(getStorageToken());
      for (let i = 0; i < 60_000; i++) {
        await storage.increment(`flood-${i}`, 60_000, 8, 60_000, 'all');
      }
      expect(storage.size ?? storage.storage?.size).toBeLessThanOrEqual(DEFAULT_MAX_COUNTERS);
    });

    it('never throttles health probes', async () => {
      const ip = freshIp();
      for (let i = 0; i < 12; i++) {
        await request(app.t.url).get('/health/live').set('X-Forwarded-For', ip).expect(200);
      }
    });
  });

  describe('behind a list of trusted proxies', () => {
    const app = useAppWith({
      RATE_LIMIT_PER_MIN: '1000',
      RATE_LIMIT_AUTH_PER_MIN: '2',
      TRUST_PROXY: 'loopback, 10.0.0.0/8',
    });

    it('counts the rightmost entry that is not a trusted proxy', async () => {
      const hop = (client: string) => `198.51.100.${randomInt(256)}, ${client}, 10.1.2.3`;
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await request(app.t.url)
          .post('/auth/refresh')
          .set('X-Forwarded-For', hop('203.0.113.50'))
          .send({});
        statuses.push(res.status);
      }
      expect(statuses).toEqual([400, 400, 429]);
      // Another client behind the same proxy has its own counter.
      await request(app.t.url)
        .post('/auth/refresh')
        .set('X-Forwarded-For', hop('203.0.113.51'))
        .send({})
        .expect(400);
    });
  });

  describe('without TRUST_PROXY', () => {
    const app = useAppWith({ RATE_LIMIT_PER_MIN: '1000', RATE_LIMIT_AUTH_PER_MIN: '2' });

    it('ignores X-Forwarded-For, so a client cannot dodge the limit by forging it', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await request(app.t.url)
          .post('/auth/refresh')
          .set('X-Forwarded-For', freshIp())
          .send({ refreshToken: 'nope' });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 429]);
    });
  });

  describeWithRedis('shared through Redis', () => {
    const env = {
      REDIS_URL: REDIS_URL ?? '',
      RATE_LIMIT_PER_MIN: '1000',
      RATE_LIMIT_AUTH_PER_MIN: '10',
      TRUST_PROXY: 'true',
    };
    let instances: TestApp[];

    beforeAll(async () => {
      instances = [
        await startApp({ databaseUrl: db.url, wechat, env }),
        await startApp({ databaseUrl: db.url, wechat, env }),
      ];
    });

    afterAll(async () => {
      for (const t of instances) await t.close();
    });

    it('enforces one limit across instances: at most 10 of 30 spread requests get through', async () => {
      const ip = freshIp();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          request(instances[i % 2].url)
            .post('/auth/refresh')
            .set('X-Forwarded-For', ip)
            .send({ refreshToken: 'nope' }),
        ),
      );
      const admitted = results.filter((r) => r.status !== 429).length;
      expect(admitted).toBe(10);
      expect(results.filter((r) => r.status === 429)).toHaveLength(20);
    });
  });

  describe('with Redis unreachable', () => {
    const app = useAppWith({
      REDIS_URL: 'redis://127.0.0.1:1',
      RATE_LIMIT_PER_MIN: '1000',
      RATE_LIMIT_AUTH_PER_MIN: '3',
      TRUST_PROXY: 'true',
    });

    it('keeps serving with per-instance limits, and says so once in the log', async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await request(app.t.url)
          .post('/auth/wechat/phone-login')
          .set('X-Forwarded-For', ip)
          .send({ code: wechat.phoneCode(`1391000000${i}`) });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      const warnings = app.t.logs.lines.filter((line) => line.includes('Redis unavailable'));
      expect(warnings).toHaveLength(1);
    });
  });
});
