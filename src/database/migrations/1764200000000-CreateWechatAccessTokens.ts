import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { useUtf8mb4 } from '../../common/database/utf8mb4';

export class CreateWechatAccessTokens1764200000000 implements MigrationInterface {
  name = 'CreateWechatAccessTokens1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'wechat_access_tokens',
        columns: [
          { name: 'app_key', type: 'varchar', length: '96', isPrimary: true },
          { name: 'token', type: 'varchar', length: '512', isNullable: true },
          { name: 'expires_at', type: 'bigint', isNullable: true },
          { name: 'fetched_by', type: 'varchar', length: '255', isNullable: true },
          { name: 'lease_holder', type: 'varchar', length: '128', isNullable: true },
          { name: 'lease_until', type: 'bigint', isNullable: true },
        ],
      }),
    );
    await useUtf8mb4(queryRunner, 'wechat_access_tokens');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('wechat_access_tokens');
  }
}
