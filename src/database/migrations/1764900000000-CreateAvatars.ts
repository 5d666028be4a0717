import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { useUtf8mb4 } from '../../common/database/utf8mb4';

/**
 * Uploaded avatars live in the database, so every instance serves them with
 * no shared disk or object store. LONGBLOB on MySQL/MariaDB (BLOB stops at
 * 64 KiB there); BLOB on SQLite, which has no size classes.
 */
export class CreateAvatars1764900000000 implements MigrationInterface {
  name = 'CreateAvatars1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = !['mysql', 'mariadb'].includes(queryRunner.connection.options.type);
    await queryRunner.createTable(
      new Table({
        name: 'avatars',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'content_type', type: 'varchar', length: '32' },
          { name: 'bytes', type: sqlite ? 'blob' : 'longblob' },
          { name: 'width', type: 'integer' },
          { name: 'height', type: 'integer' },
          { name: 'created_at', type: 'datetime' },
        ],
      }),
    );
    await useUtf8mb4(queryRunner, 'avatars');
    await queryRunner.createIndex(
      'avatars',
      new TableIndex({ name: 'IDX_avatars_user_id', columnNames: ['user_id'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('avatars');
  }
}
