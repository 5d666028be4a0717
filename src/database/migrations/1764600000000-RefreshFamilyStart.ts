import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A login's refresh family gets its start (for SESSION_MAX_AGE, an absolute
 * end however often the tokens rotate), and used_at gets milliseconds (the
 * refresh grace window is measured from it). Existing families start at
 * their oldest token, which is their login.
 */
export class RefreshFamilyStart1764600000000 implements MigrationInterface {
  name = 'RefreshFamilyStart1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) {
      await queryRunner.query(
        'ALTER TABLE `refresh_tokens` ADD `family_started_at` datetime NULL, MODIFY `used_at` datetime(3) NULL',
      );
      await queryRunner.query(
        'UPDATE `refresh_tokens` r JOIN (SELECT `family_id`, MIN(`created_at`) AS `started` ' +
          'FROM `refresh_tokens` GROUP BY `family_id`) f ON f.`family_id` = r.`family_id` ' +
          'SET r.`family_started_at` = f.`started`',
      );
      await queryRunner.query(
        'ALTER TABLE `refresh_tokens` MODIFY `family_started_at` datetime NOT NULL',
      );
      return;
    }
    // SQLite cannot alter a column: TypeORM rebuilds the table, keeping the rows.
    await queryRunner.addColumn(
      'refresh_tokens',
      new TableColumn({ name: 'family_started_at', type: 'datetime', isNullable: true }),
    );
    await queryRunner.query(
      'UPDATE "refresh_tokens" SET "family_started_at" = (SELECT MIN(f."created_at") ' +
        'FROM "refresh_tokens" f WHERE f."family_id" = "refresh_tokens"."family_id")',
    );
    const table = await queryRunner.getTable('refresh_tokens');
    const column = (name: string): TableColumn => {
      const found = table?.findColumnByName(name);
      if (!found) throw new Error(`refresh_tokens.${name} is missing`);
      return found;
    };
    await queryRunner.changeColumns('refresh_tokens', [
      {
        oldColumn: column('family_started_at'),
        newColumn: new TableColumn({ name: 'family_started_at', type: 'datetime' }),
      },
      {
        oldColumn: column('used_at'),
        newColumn: new TableColumn({
          name: 'used_at',
          type: 'datetime',
          precision: 3,
          isNullable: true,
        }),
      },
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) {
      await queryRunner.query(
        'ALTER TABLE `refresh_tokens` DROP COLUMN `family_started_at`, MODIFY `used_at` datetime NULL',
      );
      return;
    }
    await queryRunner.dropColumn('refresh_tokens', 'family_started_at');
    await queryRunner.changeColumn(
      'refresh_tokens',
      'used_at',
      new TableColumn({ name: 'used_at', type: 'datetime', isNullable: true }),
    );
  }
}

function isMysql(queryRunner: QueryRunner): boolean {
  return ['mysql', 'mariadb'].includes(queryRunner.connection.options.type);
}
