import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { providedByAppModule } from './config-token';

export type DatabaseConfig =
  { type: 'sqlite'; database: string; url: string } | { type: 'mysql' | 'mariadb'; url: string };

export const DEFAULT_DATABASE_URL = 'sqlite:data/app.sqlite';

/**
 * `sqlite:<path>` (relative to the working directory), `sqlite::memory:`,
 * `mysql://user:pass@host:3306/db` (MySQL 8) or `mariadb://…` (MariaDB 10.6+).
 */
export function readDatabaseConfig(env: EnvReader): DatabaseConfig {
  const url = env.string('DATABASE_URL', DEFAULT_DATABASE_URL);
  return parseDatabaseUrl(url, (problem) => env.fail('DATABASE_URL', problem));
}

export function parseDatabaseUrl(
  url: string,
  fail: (problem: string) => void = (problem) => {
    throw new Error(`DATABASE_URL ${problem}`);
  },
): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const database = url.slice('sqlite:'.length);
    if (database === '') {
      fail('needs a file path after sqlite: (e.g. sqlite:data/app.sqlite)');
    }
    return { type: 'sqlite', database, url };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      fail('is not a valid mysql:// URL');
    }
    if (parsed && parsed.pathname.replace(/^\//, '') === '') {
      fail('needs a database name (mysql://user:pass@host:3306/db)');
    }
    // Both work at run time on either server; `mariadb` also makes TypeORM
    // read MariaDB's schema correctly (migration:check reports false drift
    // on nullable columns otherwise).
    return { type: url.startsWith('mariadb:') ? 'mariadb' : 'mysql', url };
  }
  fail('must start with sqlite: or mysql://');
  return { type: 'sqlite', database: ':memory:', url };
}

export const databaseConfig = registerAs(
  'database',
  providedByAppModule<DatabaseConfig>('database'),
);
