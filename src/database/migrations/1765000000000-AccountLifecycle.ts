import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { useUtf8mb4 } from '../../common/database/utf8mb4';

/**
 * The account lifecycle:
 * - `refresh_tokens.device`: a short label of the client a login came from
 *   (parsed from its User-Agent, never the IP), shown in the user's sessions;
 * - indexes on the columns housekeeping deletes by (expired, revoked tokens;
 *   expired registration-ticket records), so each batch is a range scan;
 * - `job_leases`: one row per scheduled job, so one instance at a time runs it;
 * - `account_deletions`: the anonymised record that an account existed and
 *   was deleted (when, by whom), the only thing kept of a deleted user.
 */
export class AccountLifecycle1765000000000 implements MigrationInterface {
  name = 'AccountLifecycle1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'refresh_tokens',
      new TableColumn({ name: 'device', type: 'varchar', length: '64', isNullable: true }),
    );
    await queryRunner.createIndex(
      'refresh_tokens',
      new TableIndex({ name: 'IDX_refresh_tokens_expires_at', columnNames: ['expires_at'] }),
    );
    await queryRunner.createIndex(
      'refresh_tokens',
      new TableIndex({ name: 'IDX_refresh_tokens_revoked_at', columnNames: ['revoked_at'] }),
    );
    await queryRunner.createIndex(
      'registration_ticket_uses',
      new TableIndex({
        name: 'IDX_registration_ticket_uses_expires_at',
        columnNames: ['expires_at'],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'job_leases',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '128', isNullable: true },
          { name: 'lease_until', type: 'bigint', isNullable: true },
        ],
      }),
    );
    await useUtf8mb4(queryRunner, 'job_leases');
    await queryRunner.createTable(
      new Table({
        name: 'account_deletions',
        columns: [
          { name: 'user_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'deleted_at', type: 'datetime' },
          { name: 'requested_by', type: 'varchar', length: '16' },
          { name: 'reason', type: 'varchar', length: '200', isNullable: true },
        ],
      }),
    );
    await useUtf8mb4(queryRunner, 'account_deletions');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('account_deletions');
    await queryRunner.dropTable('job_leases');
    await queryRunner.dropIndex(
      'registration_ticket_uses',
      'IDX_registration_ticket_uses_expires_at',
    );
    await queryRunner.dropIndex('refresh_tokens', 'IDX_refresh_tokens_revoked_at');
    await queryRunner.dropIndex('refresh_tokens', 'IDX_refresh_tokens_expires_at');
    await queryRunner.dropColumn('refresh_tokens', 'device');
  }
}
