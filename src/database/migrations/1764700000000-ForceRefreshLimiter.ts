import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * WeChat allows stable_token's force_refresh at most 20 times a day and 30 s
 * apart, per app. The count lives beside the token it rotates, so every
 * instance (and a restarted one) claims from the same budget.
 */
export class ForceRefreshLimiter1764700000000 implements MigrationInterface {
  name = 'ForceRefreshLimiter1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('wechat_access_tokens', [
      new TableColumn({ name: 'force_refreshed_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'force_refresh_day', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'force_refresh_count', type: 'integer', default: 0 }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('wechat_access_tokens', 'force_refresh_count');
    await queryRunner.dropColumn('wechat_access_tokens', 'force_refresh_day');
    await queryRunner.dropColumn('wechat_access_tokens', 'force_refreshed_at');
  }
}
