import { WechatAccessToken } from '../src/wechat/wechat-access-token.entity';
import { AccessTokenScheduler } from '../src/wechat/access-token.scheduler';
import { AccessTokenService } from '../src/wechat/access-token.service';
import { WechatApps } from '../src/wechat/wechat-app';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginFlow } from './helpers/login-flow';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { startApp, TestApp } from './helpers/test-app';

/**
 * Several app instances sharing one database and one WeChat: the token is
 * fetched once for all of them, and they never invalidate each other's.
 * Each instance is a separate Nest app with its own connection pool.
 */
describe.each(['stable', 'classic'])('access token across instances, %s mode (e2e)', (mode) => {
  let db: TestDatabase;
  let wechat: FakeWechat;
  let instances: TestApp[];
  let flows: LoginFlow[];

  beforeAll(async () => {
    db = await createTestDatabase();
    wechat = await FakeWechat.start();
    instances = [];
    for (let i = 0; i < 3; i++) {
      instances.push(
        await startApp({ databaseUrl: db.url, wechat, env: { WECHAT_TOKEN_MODE: mode } }),
      );
    }
    flows = instances.map((t) => new LoginFlow(t.url, wechat));
  });

  afterAll(async () => {
    for (const t of instances) await t.close();
    await wechat.stop();
    await db.drop();
  });

  /** Instance i's token service for its only app, and its scheduled job. */
  const tokens = (i: number) => {
    const { app } = instances[i];
    const [wechatApp] = app.get(WechatApps).all;
    const service = app.get(AccessTokenService);
    return {
      getToken: () => service.getToken(wechatApp),
      invalidate: (token: string) => service.invalidate(wechatApp, token),
      refreshIfDue: () => app.get(AccessTokenScheduler).refreshIfDue(),
    };
  };
  const moveClocks = (ms: number) => {
    for (const t of instances) t.clock.advance(ms);
    wechat.clock.advance(ms);
  };
  /** Phone calls WeChat refused for the token (invalid, not latest, expired). */
  const rejectedCalls = () =>
    wechat.phoneCalls.filter((c) => [40001, 40014, 42001].includes(c.errcode ?? 0)).length;

  it('serves 200 concurrent cold logins spread over 3 instances with exactly one token fetch', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        flows[i % 3].phoneLogin(wechat.phoneCode(`1380000${String(i).padStart(4, '0')}`)),
      ),
    );
    expect(results.filter((r) => r.status !== 404)).toEqual([]);
    expect(wechat.tokenFetches).toBe(1);
    const row = await instances[0].dataSource
      .getRepository(WechatAccessToken)
      .findOneByOrFail({ appKey: `${wechat.appId}:${mode}` });
    expect(row.token).toEqual(expect.any(String));
    expect(row.leaseHolder).toBeNull();
  });

  it('survives WeChat revoking every token mid-traffic with at most one new fetch', async () => {
    wechat.resetCalls();
    const first = Array.from({ length: 30 }, (_, i) =>
      flows[i % 3].phoneLogin(wechat.phoneCode(`1381000${String(i).padStart(4, '0')}`)),
    );
    wechat.simulator.revokeAllTokens();
    const second = Array.from({ length: 30 }, (_, i) =>
      flows[i % 3].phoneLogin(wechat.phoneCode(`1382000${String(i).padStart(4, '0')}`)),
    );
    const results = await Promise.all([...first, ...second]);
    expect(results.filter((r) => r.status !== 404)).toEqual([]);
    expect(wechat.tokenFetches).toBeLessThanOrEqual(1);
  });

  it('renews once for all instances before expiry; no login sees an expired token', async () => {
    wechat.resetCalls();
    // Every clock to 4 minutes before the current token's 2-hour expiry.
    moveClocks(2 * 3_600_000 - 4 * 60_000);
    await Promise.all(instances.map((_, i) => tokens(i).refreshIfDue()));
    expect(wechat.tokenFetches).toBe(1);
    const renewed = await instances[0].dataSource
      .getRepository(WechatAccessToken)
      .findOneByOrFail({ appKey: `${wechat.appId}:${mode}` });

    moveClocks(5 * 60_000);
    wechat.resetCalls();
    const results = await Promise.all(
      flows.map((flow, i) => flow.phoneLogin(wechat.phoneCode(`1383000000${i}`))),
    );
    expect(results.map((r) => r.status)).toEqual([404, 404, 404]);
    expect(wechat.phoneCalls.map((c) => c.query.access_token)).toEqual(
      Array(3).fill(renewed.token),
    );
    expect(wechat.tokenFetches).toBe(0);
    expect(rejectedCalls()).toBe(0);
  });

  it('adopts a token another instance fetched early, before WeChat kills the old one', async () => {
    const old = await tokens(1).getToken();
    // Instance 0 is told its token is bad and fetches a replacement: in
    // classic mode WeChat now gives the old token 5 more minutes.
    await tokens(0).invalidate(old);
    const replacement = await tokens(0).getToken();
    if (mode === 'classic') expect(replacement).not.toBe(old);

    // The scheduled job on instance 1 picks it up at its next tick.
    await tokens(1).refreshIfDue();
    moveClocks(6 * 60_000);
    wechat.resetCalls();
    await flows[1].phoneLogin(wechat.phoneCode('13840000001')).expect(404);
    expect(wechat.phoneCalls.map((c) => c.query.access_token)).toEqual([replacement]);
  });

  it('lets another instance take over when the lease holder died mid-fetch', async () => {
    const repo = instances[0].dataSource.getRepository(WechatAccessToken);
    const appKey = `${wechat.appId}:${mode}`;
    // Every token, held or stored, has run out...
    moveClocks(2 * 3_600_000 + 60_000);
    // ...and a crashed instance left its lease behind.
    await repo.update(
      { appKey },
      { leaseHolder: 'crashed-instance', leaseUntil: instances[0].clock.now() + 20_000 },
    );
    wechat.resetCalls();

    await tokens(2).refreshIfDue();
    expect(wechat.tokenFetches).toBe(0);

    moveClocks(21_000);
    await tokens(2).refreshIfDue();
    expect(wechat.tokenFetches).toBe(1);
    const row = await repo.findOneByOrFail({ appKey });
    expect(row.leaseHolder).toBeNull();
    expect(row.fetchedBy).not.toBe('crashed-instance');
    expect(row.fetchedBy).toMatch(/expires within 5 minutes/);
    await flows[0].phoneLogin(wechat.phoneCode('13850000001')).expect(404);
    expect(wechat.tokenFetches).toBe(1);
  });
});
