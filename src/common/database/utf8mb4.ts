import { QueryRunner } from 'typeorm';

/**
 * Nicknames hold Chinese and emoji, so MySQL tables must be utf8mb4 whatever
 * the server's default character set is (README, "Your own AppID and MySQL").
 * SQLite is always UTF-8.
 */
export async function useUtf8mb4(queryRunner: QueryRunner, table: string): Promise<void> {
  if (!['mysql', 'mariadb'].includes(queryRunner.connection.options.type)) return;
  await queryRunner.query(
    `ALTER TABLE \`${table}\` ENGINE=InnoDB, CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
}
