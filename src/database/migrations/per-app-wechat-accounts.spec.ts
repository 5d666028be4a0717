import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DatabaseConfig } from '../../config/database.config';
import { seedLegacyOpenid } from '../../../test/helpers/legacy-openids';
import { buildDataSourceOptions } from '../data-source-options';

/**
 * Users stored before per-app bindings carry the openid of the one
 * mini-program configured then. The migration moves them to that AppID, taken
 * from the configuration it is given, and refuses to guess one.
 */
describe('PerAppWechatAccounts migration', () => {
  let dir: string;
  let db: DatabaseConfig;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'per-app-'));
    const database = join(dir, 'app.sqlite');
    db = { type: 'sqlite', database, url: `sqlite:${database}` };
    await seedLegacyOpenid(db);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function migrate(primaryAppId?: string): Promise<DataSource> {
    const dataSource = new DataSource(buildDataSourceOptions(db, { primaryAppId }));
    await dataSource.initialize();
    try {
      await dataSource.runMigrations();
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
    return dataSource;
  }

  it('binds the stored openids to the configured primary AppID', async () => {
    const dataSource = await migrate('wx1234567890abcdef');
    const accounts = await dataSource.query<unknown[]>(
      'SELECT user_id, app_id, openid FROM wechat_accounts',
    );
    await dataSource.destroy();

    expect(accounts).toEqual([{ user_id: 'u1', app_id: 'wx1234567890abcdef', openid: 'o-legacy' }]);
  });

  it('fails, changing nothing, when no AppID is configured (never the simulator’s)', async () => {
    // TypeORM reports the failed migration on the console before rethrowing.
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await expect(migrate(undefined)).rejects.toThrow(/WECHAT_APPID/);
    log.mockRestore();

    const check = new DataSource({ ...buildDataSourceOptions(db), migrations: [] });
    await check.initialize();
    const users = await check.query<unknown[]>('SELECT openid FROM users');
    const tables = await check.query<unknown[]>(
      "SELECT name FROM sqlite_master WHERE name = 'wechat_accounts'",
    );
    await check.destroy();
    expect(users).toEqual([{ openid: 'o-legacy' }]);
    expect(tables).toEqual([]);
  });

  it('needs no AppID when there is nothing to move', async () => {
    rmSync(db.type === 'sqlite' ? db.database : '', { force: true });
    const dataSource = await migrate(undefined);
    expect(await dataSource.query('SELECT * FROM wechat_accounts')).toEqual([]);
    await dataSource.destroy();
  });
});
