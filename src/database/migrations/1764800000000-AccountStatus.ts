import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * An operator can block a user: the time and the reason are kept on the
 * user's row, which every authenticated request already reads (by primary
 * key) to learn whether the account may still act.
 */
export class AccountStatus1764800000000 implements MigrationInterface {
  name = 'AccountStatus1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'blocked_at', type: 'datetime', isNullable: true }),
      new TableColumn({ name: 'blocked_reason', type: 'varchar', length: '200', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('users', 'blocked_reason');
    await queryRunner.dropColumn('users', 'blocked_at');
  }
}
