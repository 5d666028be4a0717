import { parseDatabaseUrl } from '../src/config/database.config';
import { FakeWechat } from './helpers/fake-wechat';
import { seedLegacyOpenid } from './helpers/legacy-openids';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { startApp } from './helpers/test-app';

/**
 * A database from before per-app bindings: users.openid holds the openid of
 * the one mini-program configured then. The app's boot runs the migration
 * with the AppID of its own configuration, and refuses to guess one.
 */
describe('openids stored before per-app bindings (e2e)', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
    await seedLegacyOpenid(parseDatabaseUrl(db.url));
  });

  afterEach(() => db.drop());

  it('are bound to the configured AppID at boot', async () => {
    const wechat = await FakeWechat.start();
    const t = await startApp({ databaseUrl: db.url, wechat });
    try {
      const accounts = await t.dataSource.query<unknown[]>(
        'SELECT user_id, app_id, openid FROM wechat_accounts',
      );
      expect(accounts).toEqual([{ user_id: 'u1', app_id: wechat.appId, openid: 'o-legacy' }]);
    } finally {
      await t.close();
      await wechat.stop();
    }
  });

  // Long: TypeOrmModule retries a failed start 9 times, 3 s apart, before the boot gives up.
  it('stop the boot, never bound to the simulator, when no AppID is configured', async () => {
    // TypeORM reports the failed migration on the console before rethrowing.
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    let failure: unknown;
    try {
      // Closed at once should it boot, so a failure here cannot leave an app running.
      await (await startApp({ databaseUrl: db.url })).close();
    } catch (error) {
      failure = error;
    } finally {
      log.mockRestore();
    }
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/WECHAT_APPID/);
  }, 90_000);
});
