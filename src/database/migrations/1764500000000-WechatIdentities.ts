import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/** Identifier columns, with their definitions, that compare byte for byte from here on. */
const IDENTIFIERS: [table: string, column: string, definition: string][] = [
  ['users', 'unionid', 'varchar(64) NULL'],
  ['wechat_accounts', 'app_id', 'varchar(64) NOT NULL'],
  ['wechat_accounts', 'openid', 'varchar(64) NOT NULL'],
  ['wechat_accounts', 'unionid', 'varchar(64) NULL'],
  ['wechat_access_tokens', 'app_key', 'varchar(96) NOT NULL'],
  ['refresh_tokens', 'token_hash', 'varchar(64) NOT NULL'],
  ['registration_ticket_uses', 'jti', 'varchar(64) NOT NULL'],
];

/**
 * WeChat identities, byte for byte and one user per unionid:
 * - identifier columns become `utf8mb4_bin` on MySQL/MariaDB (`oAbc` and
 *   `oabc` are two WeChat users; SQLite compares bytes already);
 * - each binding remembers the unionid WeChat gave with its openid, so a
 *   phone proof from another WeChat account can remove the old account's
 *   bindings in every app;
 * - users.unionid becomes unique (NULLs allowed many times on both databases).
 *   Where several users already share a unionid, the one updated last keeps
 *   it and the others lose it (their openid bindings stay, so they still log
 *   in silently in the apps they were bound in).
 */
export class WechatIdentities1764500000000 implements MigrationInterface {
  name = 'WechatIdentities1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'wechat_accounts',
      new TableColumn({ name: 'unionid', type: 'varchar', length: '64', isNullable: true }),
    );
    await setCollation(queryRunner, 'utf8mb4_bin');

    const shared = (await queryRunner.query(
      'SELECT id, unionid FROM users WHERE unionid IN ' +
        '(SELECT unionid FROM users WHERE unionid IS NOT NULL GROUP BY unionid HAVING COUNT(*) > 1) ' +
        'ORDER BY unionid, updated_at DESC, id DESC',
    )) as { id: string; unionid: string }[];
    const keepers = new Set<string>();
    for (const row of shared) {
      if (!keepers.has(row.unionid)) {
        keepers.add(row.unionid);
        continue;
      }
      await queryRunner.query('UPDATE users SET unionid = NULL WHERE id = ?', [row.id]);
    }
    await queryRunner.query(
      'UPDATE wechat_accounts SET unionid = ' +
        '(SELECT users.unionid FROM users WHERE users.id = wechat_accounts.user_id)',
    );

    await queryRunner.dropIndex('users', 'IDX_users_unionid');
    await queryRunner.createIndex(
      'users',
      new TableIndex({ name: 'UQ_users_unionid', columnNames: ['unionid'], isUnique: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('users', 'UQ_users_unionid');
    await queryRunner.createIndex(
      'users',
      new TableIndex({ name: 'IDX_users_unionid', columnNames: ['unionid'] }),
    );
    await setCollation(queryRunner, 'utf8mb4_unicode_ci');
    await queryRunner.dropColumn('wechat_accounts', 'unionid');
  }
}

async function setCollation(queryRunner: QueryRunner, collation: string): Promise<void> {
  if (!['mysql', 'mariadb'].includes(queryRunner.connection.options.type)) return;
  for (const [table, column, definition] of IDENTIFIERS) {
    const [type, ...nullability] = definition.split(' ');
    await queryRunner.query(
      `ALTER TABLE \`${table}\` MODIFY \`${column}\` ${type} ` +
        `CHARACTER SET utf8mb4 COLLATE ${collation} ${nullability.join(' ')}`,
    );
  }
}
