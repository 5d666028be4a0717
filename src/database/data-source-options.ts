import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { avatarEntitySchema } from '../avatars/avatar.schema';
import { RegistrationTicketUse } from '../auth/registration-ticket-use.entity';
import { RefreshToken } from '../auth/tokens/refresh-token.entity';
import { DatabaseConfig } from '../config/database.config';
import type { MigrationConfig } from '../config/load-config';
import { User } from '../users/user.entity';
import { WechatAccount } from '../users/wechat-account.entity';
import { WechatAccessToken } from '../wechat/wechat-access-token.entity';
import { migrationsFor } from './migrations';

export const entities = [
  User,
  WechatAccount,
  RegistrationTicketUse,
  WechatAccessToken,
  RefreshToken,
];

/**
 * The one place TypeORM options are built: used by DatabaseModule in the app
 * and by ormconfig.ts for the migration CLI, from the same configuration. Schema changes only through
 * migrations, never `synchronize`.
 */
export function buildDataSourceOptions(
  db: DatabaseConfig,
  migrationConfig: MigrationConfig = {},
): DataSourceOptions {
  const common = {
    entities: [...entities, avatarEntitySchema(db.type)],
    migrations: migrationsFor(migrationConfig),
    synchronize: false,
    migrationsTransactionMode: 'each' as const,
  };
  if (db.type === 'sqlite') {
    if (db.database !== ':memory:') {
      mkdirSync(dirname(db.database), { recursive: true });
    }
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.database,
      // Several processes may share one file: WAL lets readers run beside the
      // writer, and the busy timeout makes a writer wait instead of failing.
      enableWAL: db.database !== ':memory:',
      timeout: 5000,
      // With WAL, NORMAL syncs at checkpoints instead of on every commit: no
      // corruption risk, and a login's two small writes stop waiting on fsync.
      prepareDatabase: (connection: { pragma(sql: string): unknown }) => {
        connection.pragma('synchronous = NORMAL');
      },
    };
  }
  return {
    ...common,
    type: db.type,
    url: db.url,
    charset: 'utf8mb4_unicode_ci',
    // Store and read DATETIME as UTC whatever the server's time zone.
    timezone: 'Z',
    // A database that does not answer must turn into a quick 503, not a hang.
    connectTimeout: 2000,
    extra: { connectionLimit: 10 },
  };
}
