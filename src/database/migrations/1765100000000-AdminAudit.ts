import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { useUtf8mb4 } from '../../common/database/utf8mb4';

/**
 * Every admin action (block, unblock, revoke sessions, delete, forced token
 * refresh) as a row, so the operator's look-up shows what was done to a user,
 * when, why and under which request id. Reasons are free text: utf8mb4.
 */
export class AdminAudit1765100000000 implements MigrationInterface {
  name = 'AdminAudit1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'admin_audit',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'created_at', type: 'datetime', precision: 3 },
          { name: 'action', type: 'varchar', length: '32' },
          { name: 'target_user_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'target_app_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'reason', type: 'varchar', length: '200', isNullable: true },
          { name: 'request_id', type: 'varchar', length: '128' },
        ],
      }),
    );
    await useUtf8mb4(queryRunner, 'admin_audit');
    await queryRunner.createIndex(
      'admin_audit',
      new TableIndex({
        name: 'IDX_admin_audit_target_user',
        columnNames: ['target_user_id', 'created_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('admin_audit');
  }
}
