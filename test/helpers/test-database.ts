import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { harnessEnvironment } from '../../src/config/harness-environment';

export interface TestDatabase {
  url: string;
  kind: 'sqlite' | 'mysql';
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file: a fresh SQLite file by default, or,
 * when E2E_MYSQL_URL (or `mysqlUrl`, for a benchmark) names a MySQL/MariaDB server
 * (`mariadb://root@127.0.0.1:3306/`), a new `<prefix>_<random>` database there,
 * dropped afterwards.
 */
export async function createTestDatabase(
  mysqlUrl = harnessEnvironment().mysqlUrl,
  prefix = 'wxlogin_test',
): Promise<TestDatabase> {
  const given = mysqlUrl;
  if (given) {
    // mysql2 itself only speaks mysql://; the app gets the scheme as given.
    const server = given.replace(/^mariadb:/, 'mysql:');
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    const admin = await createConnection(server);
    await admin.query(
      `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    await admin.end();
    const url = new URL(given);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      kind: 'mysql',
      drop: async () => {
        const conn = await createConnection(server);
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await conn.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'wxlogin-e2e-'));
  return {
    url: `sqlite:${join(dir, 'e2e.sqlite')}`,
    kind: 'sqlite',
    drop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
