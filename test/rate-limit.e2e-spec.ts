import { randomInt } from 'node:crypto';
import request from 'supertest';
import { FakeWechat } from './helpers/fake-wechat';
import { useDatabaseAndFakeWechat } from './helpers/suite';
import { TestDatabase } from './helpers/test-database';
import { startApp, TestApp } from './helpers/test-app';

/** Redis-backed limits are tested where a Redis server is named (CI sets it). */
const REDIS_URL = process.env.E2E_REDIS_URL;
const describeWithRedis = REDIS_URL ? describe : describe.skip;

/** An address no other test run uses, so Redis counters never collide. */
const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe('rate limits (e2e)', () => {
  const shared = useDatabaseAndFakeWechat();
  let db: TestDatabase;
  let wechat: FakeWechat;

  beforeAll(() => {
    ({ db, wechat } = shared);
  });

  describe('in memory', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp({
        databaseUrl: db.url,
        wechat,
        env: { RATE_LIMIT_PER_MIN: '8', RATE_LIMIT_AUTH_PER_MIN: '3', TRUST_PROXY: 'true' },
      });
    });

    afterAll(() => t.close());

    it('answers 429 TOO_MANY_REQUESTS with Retry-After past the auth limit, before calling WeChat', async () => {
      const ip = freshIp();
      for (let i = 0; i < 3; i++) {
        await request(t.url)
          .post('/auth/wechat/phone-login')
          .set('X-Forwarded-For', ip)
          .send({ code: wechat.phoneCode(`1390000000${i}`) })
          .expect(404);
      }
      wechat.resetCalls();
      const res = await request(t.url)
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
        const res = await request(t.url)
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
        statuses.push((await request(t.url).get('/users/me').set('X-Forwarded-For', ip)).status);
      }
      expect(statuses).toEqual([...Array(8).fill(401), 429]);
      await request(t.url).get('/users/me').set('X-Forwarded-For', freshIp()).expect(401);
    });

    it('never throttles health probes', async () => {
      const ip = freshIp();
      for (let i = 0; i < 12; i++) {
        await request(t.url).get('/health/live').set('X-Forwarded-For', ip).expect(200);
      }
    });
  });

  describe('without TRUST_PROXY', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp({
        databaseUrl: db.url,
        wechat,
        env: { RATE_LIMIT_PER_MIN: '1000', RATE_LIMIT_AUTH_PER_MIN: '2' },
      });
    });

    afterAll(() => t.close());

    it('ignores X-Forwarded-For, so a client cannot dodge the limit by forging it', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await request(t.url)
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
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp({
        databaseUrl: db.url,
        wechat,
        env: {
          REDIS_URL: 'redis://127.0.0.1:1',
          RATE_LIMIT_PER_MIN: '1000',
          RATE_LIMIT_AUTH_PER_MIN: '3',
          TRUST_PROXY: 'true',
        },
      });
    });

    afterAll(() => t.close());

    it('keeps serving with per-instance limits, and says so once in the log', async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await request(t.url)
          .post('/auth/wechat/phone-login')
          .set('X-Forwarded-For', ip)
          .send({ code: wechat.phoneCode(`1391000000${i}`) });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      const warnings = t.logs.lines.filter((line) => line.includes('Redis unavailable'));
      expect(warnings).toHaveLength(1);
    });
  });
});
