import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { useUtf8mb4 } from '../../common/database/utf8mb4';

/**
 * openids are per mini-program, so bindings move from users.openid to
 * wechat_accounts (app_id, openid). Existing bindings belong to the app that
 * was configured so far: the primary app of the current configuration
 * (WECHAT_APPID, or the first of WECHAT_APPS), handed in by the data source.
 * With openids to move and no AppID configured the migration fails (and is
 * rolled back) instead of binding them to a guessed app: a wrong app_id would
 * silently turn every existing user into a new one at their next login.
 */
export class PerAppWechatAccounts1764400000000 implements MigrationInterface {
  name = 'PerAppWechatAccounts1764400000000';

  constructor(private readonly primaryAppId?: string) {}

  /** The class TypeORM instantiates (without arguments), bound to this AppID. */
  static forPrimaryApp(primaryAppId: string | undefined): typeof PerAppWechatAccounts1764400000000 {
    return class extends PerAppWechatAccounts1764400000000 {
      constructor() {
        super(primaryAppId);
      }
    };
  }

  async up(queryRunner: QueryRunner): Promise<void> {
    // Checked before any DDL: MySQL commits each CREATE/DROP at once, so a
    // failure further down would leave a half-migrated schema behind.
    const primaryApp = await this.appOfStoredOpenids(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'wechat_accounts',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'app_id', type: 'varchar', length: '64' },
          { name: 'openid', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'datetime' },
        ],
      }),
    );
    await useUtf8mb4(queryRunner, 'wechat_accounts');
    await queryRunner.createIndex(
      'wechat_accounts',
      new TableIndex({
        name: 'UQ_wechat_accounts_app_openid',
        columnNames: ['app_id', 'openid'],
        isUnique: true,
      }),
    );
    await queryRunner.createIndex(
      'wechat_accounts',
      new TableIndex({
        name: 'UQ_wechat_accounts_user_app',
        columnNames: ['user_id', 'app_id'],
        isUnique: true,
      }),
    );
    if (primaryApp !== undefined) {
      await queryRunner.query(
        'INSERT INTO wechat_accounts (id, user_id, app_id, openid, created_at) ' +
          'SELECT id, id, ?, openid, updated_at FROM users WHERE openid IS NOT NULL',
        [primaryApp],
      );
    }
    await queryRunner.dropIndex('users', 'UQ_users_openid');
    await queryRunner.dropColumn('users', 'openid');
  }

  /** The AppID the stored openids belong to; undefined when there are none. */
  private async appOfStoredOpenids(queryRunner: QueryRunner): Promise<string | undefined> {
    const [{ bound }] = (await queryRunner.query(
      'SELECT COUNT(*) AS bound FROM users WHERE openid IS NOT NULL',
    )) as { bound: number | string }[];
    if (Number(bound) === 0) return undefined;
    if (this.primaryAppId === undefined) {
      throw new Error(
        `users.openid holds ${Number(bound)} openid(s) of the mini-program configured so far, ` +
          'and no WECHAT_APPID (or WECHAT_APPS) says which one that is: set it (in the ' +
          'environment or .env) to that AppID and run the migrations again',
      );
    }
    return this.primaryAppId;
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'users',
      new TableColumn({ name: 'openid', type: 'varchar', length: '64', isNullable: true }),
    );
    await queryRunner.createIndex(
      'users',
      new TableIndex({ name: 'UQ_users_openid', columnNames: ['openid'], isUnique: true }),
    );
    await queryRunner.dropTable('wechat_accounts');
  }
}
