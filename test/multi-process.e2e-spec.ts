import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { harnessEnvironment } from '../src/config/harness-environment';
import { AppProcess, startMain, waitUntilReady } from './helpers/app-process';
import { freePort } from './helpers/http-client';
import { FakeWechat } from './helpers/fake-wechat';
import { RoundRobinProxy } from './helpers/round-robin-proxy';
import { CARD, SHOP } from './helpers/suite';
import { createTestDatabase, TestDatabase } from './helpers/test-database';

const AUTH_LIMIT = 20;

const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/**
 * The deployment the README describes, for real: three processes of the app
 * on one MariaDB and one Redis, behind a round-robin proxy, serving two
 * mini-programs. Needs a MariaDB and a Redis server (CI provides both).
 */
const { mysqlUrl, redisUrl } = harnessEnvironment();
const describeDeployment = mysqlUrl && redisUrl ? describe : describe.skip;

describeDeployment('three instances behind a load balancer, two mini-programs (e2e)', () => {
  let db: TestDatabase;
  let wechat: FakeWechat;
  let proxy: RoundRobinProxy;
  let cwd: string;
  const instances: { app: AppProcess; port: number }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    wechat = await FakeWechat.start([SHOP, CARD]);
    cwd = mkdtempSync(join(tmpdir(), 'wxlogin-multi-'));
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl as string,
      TRUST_PROXY: 'true',
      JWT_SECRET: randomBytes(48).toString('base64'),
      WECHAT_SIMULATOR: 'false',
      WECHAT_APPID: SHOP.appId,
      WECHAT_SECRET: SHOP.secret,
      WECHAT_APPS: JSON.stringify([CARD]),
      WECHAT_API_BASE_URL: wechat.url,
      WECHAT_TIMEOUT_MS: '1000',
      RATE_LIMIT_PER_MIN: '100000',
      RATE_LIMIT_AUTH_PER_MIN: String(AUTH_LIMIT),
    };
    // The first instance creates the schema; the others then start together.
    const first = { port: await freePort() };
    instances.push({ ...first, app: startMain({ ...env, PORT: String(first.port) }, cwd) });
    await waitUntilReady(instances[0].app, first.port);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      instances.push({ port, app: startMain({ ...env, PORT: String(port) }, cwd) });
    }
    await Promise.all(instances.slice(1).map(({ app, port }) => waitUntilReady(app, port)));
    proxy = new RoundRobinProxy(instances.map(({ port }) => port));
    await proxy.start();
  }, 120_000);

  afterAll(async () => {
    for (const { app } of instances) app.process.kill('SIGKILL');
    await proxy?.stop();
    await wechat?.stop();
    await db?.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  const login = (appId: string, code: string, ip = freshIp()) =>
    fetch(`${proxy.url}/auth/wechat/phone-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-wx-appid': appId, 'x-forwarded-for': ip },
      body: JSON.stringify({ code }),
    });

  it('serves 500 logins across two apps with zero failures and one token fetch per app', async () => {
    const started = Date.now();
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const n = batch * 50 + i;
          const app = n % 2 ? CARD : SHOP;
          const code = wechat.phoneCode(
            `1370000${String(n).padStart(4, '0')}`,
            undefined,
            app.appId,
          );
          return login(app.appId, code);
        }),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    const seconds = (Date.now() - started) / 1000;
    expect(statuses.filter((status) => status !== 404)).toEqual([]);
    expect(wechat.tokenFetchesFor(SHOP.appId)).toBe(1);
    expect(wechat.tokenFetchesFor(CARD.appId)).toBe(1);
    expect([...proxy.served.values()].every((count) => count >= 150)).toBe(true);
    process.stdout.write(
      `multi-instance: 500 logins over 3 instances in ${seconds.toFixed(1)} s, ` +
        `token fetches shop=${wechat.tokenFetchesFor(SHOP.appId)} card=${wechat.tokenFetchesFor(CARD.appId)}, ` +
        `served per instance ${[...proxy.served.values()].join('/')}\n`,
    );
  });

  it('enforces the auth rate limit across instances: one client gets exactly the limit through', async () => {
    const ip = freshIp();
    const answers = await Promise.all(
      Array.from({ length: 3 * AUTH_LIMIT }, () =>
        fetch(`${proxy.url}/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
          body: JSON.stringify({ refreshToken: 'not-a-token' }),
        }),
      ),
    );
    const admitted = answers.filter((answer) => answer.status !== 429).length;
    expect(admitted).toBe(AUTH_LIMIT);
    process.stdout.write(`multi-instance: ${admitted} of ${answers.length} admitted for one IP\n`);
  });

  it('takes over the lease of an instance killed in the middle of a token fetch', async () => {
    // WeChat revokes every token; the next token fetch hangs.
    wechat.simulator.revokeAllTokens();
    wechat.failFor(SHOP.appId, { hang: true }, 1, '/cgi-bin/stable_token');
    const fetchesBefore = wechat.tokenFetchesFor(SHOP.appId);
    // The next login meets 40001 on whichever instance it lands: that instance takes the lease and fetches.
    const doomed = login(
      SHOP.appId,
      wechat.phoneCode('13799990000', undefined, SHOP.appId),
      freshIp(),
    ).catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (wechat.tokenFetchesFor(SHOP.appId) === fetchesBefore && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Which instance got it? The one whose lease is in the table.
    const admin = await createConnection((mysqlUrl as string).replace(/^mariadb:/, 'mysql:'));
    const dbName = new URL(db.url).pathname.slice(1);
    const [[lease]] = (await admin.query(
      `SELECT lease_holder FROM \`${dbName}\`.wechat_access_tokens WHERE app_key = ?`,
      [`${SHOP.appId}:stable`],
    )) as unknown as [{ lease_holder: string | null }[]];
    expect(lease.lease_holder).toEqual(expect.any(String));
    const holder = instances.find(({ app }) =>
      (lease.lease_holder as string).includes(`:${app.process.pid}:`),
    ) as { app: AppProcess; port: number };
    expect(holder).toBeDefined();
    holder.app.process.kill('SIGKILL');
    await holder.app.exited;
    await doomed;

    // The survivors wait out the dead holder's lease, then one of them fetches.
    const started = Date.now();
    let status = 0;
    let n = 0;
    while (status !== 404 && Date.now() - started < 30_000) {
      const answer = await login(
        SHOP.appId,
        wechat.phoneCode(`1379999${String(++n).padStart(4, '0')}`, undefined, SHOP.appId),
      );
      status = answer.status;
      if (status !== 404) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(status).toBe(404);
    const [[row]] = (await admin.query(
      `SELECT lease_holder, fetched_by FROM \`${dbName}\`.wechat_access_tokens WHERE app_key = ?`,
      [`${SHOP.appId}:stable`],
    )) as unknown as [{ lease_holder: string | null; fetched_by: string }[]];
    await admin.end();
    expect(row.lease_holder).toBeNull();
    expect(row.fetched_by).not.toContain(`:${holder.app.process.pid}:`);
    process.stdout.write(
      `multi-instance: lease of killed instance taken over after ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });
});
