import { AccessTokenScheduler } from '../src/wechat/access-token.scheduler';
import { WechatAccessToken } from '../src/wechat/wechat-access-token.entity';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginFlow } from './helpers/login-flow';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { startApp, TestApp } from './helpers/test-app';

const PHONE_PATH = '/wxa/business/getuserphonenumber';

/**
 * stable_token's force_refresh is limited by WeChat (≥ 30 s apart, 20 a day,
 * per app). Two instances on one database, and an instance restarted, must
 * stay inside that limit together.
 */
describe('stable_token force_refresh across instances (e2e)', () => {
  let db: TestDatabase;
  let wechat: FakeWechat;
  let instances: TestApp[];
  /** How far every clock has been moved: a restarted instance starts there too. */
  let moved = 0;
  let phone = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    wechat = await FakeWechat.start();
    instances = [
      await startApp({ databaseUrl: db.url, wechat }),
      await startApp({ databaseUrl: db.url, wechat }),
    ];
  });

  afterAll(async () => {
    for (const t of instances) await t.close();
    await wechat.stop();
    await db.drop();
  });

  const moveClocks = (ms: number) => {
    moved += ms;
    for (const t of instances) t.clock.advance(ms);
    wechat.clock.advance(ms);
  };
  const forcedFetches = () =>
    wechat.calls.filter(
      (c) =>
        c.path === '/cgi-bin/stable_token' && (c.body as { force_refresh?: boolean }).force_refresh,
    ).length;
  const nextCode = () => wechat.phoneCode(`1377${String(phone++).padStart(7, '0')}`);
  const login = (i: number, code = nextCode()) =>
    new LoginFlow(instances[i].url, wechat).phoneLogin(code);
  /**
   * WeChat rejects instance i's token although it is live (the case
   * force_refresh exists for): stable_token in normal mode then hands the very
   * same token back.
   */
  const incident = async (i: number) => {
    // The instance first picks up the token in the table, as its scheduled job would.
    await instances[i].app.get(AccessTokenScheduler).refreshIfDue();
    const code = nextCode();
    wechat.failFor(code, { errcode: 40001, errmsg: 'invalid credential' }, 1, PHONE_PATH);
    await login(i, code).expect(404);
  };
  const row = () =>
    instances[0].dataSource
      .getRepository(WechatAccessToken)
      .findOneByOrFail({ appKey: `${wechat.appId}:stable` });

  it('is used once for an incident; the other instance 10 s later may not force again', async () => {
    await login(0).expect(404);
    await login(1).expect(404);

    await incident(0);
    expect(forcedFetches()).toBe(1);

    // Instance 1 sees the replacement rejected too, 10 s later.
    moveClocks(10_000);
    await incident(1);
    expect(forcedFetches()).toBe(1);
    await expect(row()).resolves.toMatchObject({ forceRefreshCount: 1 });
  });

  it('a restarted instance does not forget the last force_refresh', async () => {
    await instances[0].close();
    instances[0] = await startApp({ databaseUrl: db.url, wechat });
    instances[0].clock.advance(moved);
    moveClocks(5_000);
    await login(0).expect(404);
    await incident(0);
    expect(forcedFetches()).toBe(1);
  });

  it('is allowed again 30 s after the last one, by whichever instance comes first', async () => {
    moveClocks(30_000);
    await Promise.all([incident(0), incident(1)]);
    expect(forcedFetches()).toBe(2);
    await expect(row()).resolves.toMatchObject({ forceRefreshCount: 2 });
  });

  it('stops at 20 a day (China time) for both instances together', async () => {
    // To 00:00:10 of the next day in China (UTC+8), when WeChat's daily limits reset.
    const day = 86_400_000;
    const china = 8 * 3_600_000;
    const now = wechat.clock.now();
    moveClocks(Math.ceil((now + china) / day) * day - china - now + 10_000);
    const before = forcedFetches();
    for (let i = 0; i < 25; i++) {
      await incident(i % 2);
      moveClocks(31_000);
    }
    expect(forcedFetches() - before).toBe(20);
    await expect(row()).resolves.toMatchObject({ forceRefreshCount: 20 });
  });
});
