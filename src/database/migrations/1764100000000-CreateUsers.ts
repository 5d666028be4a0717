import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { useUtf8mb4 } from '../../common/database/utf8mb4';

export class CreateUsers1764100000000 implements MigrationInterface {
  name = 'CreateUsers1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'phone_number', type: 'varchar', length: '24' },
          { name: 'country_code', type: 'varchar', length: '8' },
          { name: 'pure_phone_number', type: 'varchar', length: '20' },
          { name: 'nickname', type: 'varchar', length: '64', isNullable: true },
          { name: 'avatar_url', type: 'varchar', length: '512', isNullable: true },
          { name: 'openid', type: 'varchar', length: '64', isNullable: true },
          { name: 'unionid', type: 'varchar', length: '64', isNullable: true },
          { name: 'created_at', type: 'datetime' },
          { name: 'updated_at', type: 'datetime' },
          { name: 'last_login_at', type: 'datetime', isNullable: true },
        ],
      }),
    );
    await useUtf8mb4(queryRunner, 'users');
    await queryRunner.createIndex(
      'users',
      new TableIndex({
        name: 'UQ_users_phone_number',
        columnNames: ['phone_number'],
        isUnique: true,
      }),
    );
    await queryRunner.createIndex(
      'users',
      new TableIndex({
        name: 'UQ_users_openid',
        columnNames: ['openid'],
        isUnique: true,
      }),
    );
    await queryRunner.createIndex(
      'users',
      new TableIndex({ name: 'IDX_users_unionid', columnNames: ['unionid'] }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'registration_ticket_uses',
        columns: [
          { name: 'jti', type: 'varchar', length: '64', isPrimary: true },
          { name: 'used_at', type: 'datetime' },
          { name: 'expires_at', type: 'datetime' },
        ],
      }),
    );
    await useUtf8mb4(queryRunner, 'registration_ticket_uses');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('registration_ticket_uses');
    await queryRunner.dropTable('users');
  }
}
