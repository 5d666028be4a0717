import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { EnvReader } from '../../config/env-reader';
import { readWechatConfig } from '../../config/wechat.config';
import { useUtf8mb4 } from './utf8mb4';

/**
 * openids are per mini-program, so bindings move from users.openid to
 * wechat_accounts (app_id, openid). Existing bindings belong to the app that
 * was configured so far: the primary app of the current configuration.
 */
export class PerAppWechatAccounts1764400000000 implements MigrationInterface {
  name = 'PerAppWechatAccounts1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
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
    const primaryApp = readWechatConfig(new EnvReader(process.env)).appId;
    await queryRunner.query(
      'INSERT INTO wechat_accounts (id, user_id, app_id, openid, created_at) ' +
        'SELECT id, id, ?, openid, updated_at FROM users WHERE openid IS NOT NULL',
      [primaryApp],
    );
    await queryRunner.dropIndex('users', 'UQ_users_openid');
    await queryRunner.dropColumn('users', 'openid');
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
