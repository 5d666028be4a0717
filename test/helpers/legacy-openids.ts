import { DataSource } from 'typeorm';
import { DatabaseConfig } from '../../src/config/database.config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { migrationsFor } from '../../src/database/migrations';

/** How many migrations ran before per-app WeChat bindings (1764400000000). */
const BEFORE_PER_APP_BINDINGS = 3;

/**
 * A database as it was before per-app bindings: the first migrations only,
 * and one user whose openid ('o-legacy') sits on users.openid.
 */
export async function seedLegacyOpenid(db: DatabaseConfig): Promise<void> {
  const before = new DataSource({
    ...buildDataSourceOptions(db),
    migrations: migrationsFor().slice(0, BEFORE_PER_APP_BINDINGS),
  });
  await before.initialize();
  await before.runMigrations();
  await before.query(
    'INSERT INTO users (id, phone_number, country_code, pure_phone_number, openid, ' +
      "created_at, updated_at) VALUES ('u1', '+8613800138000', '86', '13800138000', " +
      "'o-legacy', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
  );
  await before.destroy();
}
