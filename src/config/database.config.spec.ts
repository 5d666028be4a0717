import { DEFAULT_DATABASE_URL, parseDatabaseUrl, readDatabaseConfig } from './database.config';
import { EnvReader, RawEnv } from './env-reader';
import { loadConfig } from './load-config';

/** Every problem boot would report for this environment. */
const problemsOf = (env: RawEnv): string[] => loadConfig(env).errors;

describe('DATABASE_URL', () => {
  const read = (url?: string) => readDatabaseConfig(new EnvReader({ DATABASE_URL: url }));

  it('defaults to the embedded SQLite file', () => {
    expect(read()).toEqual({
      type: 'sqlite',
      database: 'data/app.sqlite',
      url: DEFAULT_DATABASE_URL,
    });
  });

  it('reads sqlite:<path>', () => {
    expect(parseDatabaseUrl('sqlite:data/app.sqlite')).toEqual({
      type: 'sqlite',
      database: 'data/app.sqlite',
      url: 'sqlite:data/app.sqlite',
    });
  });

  it('reads sqlite::memory:', () => {
    expect(parseDatabaseUrl('sqlite::memory:')).toMatchObject({
      type: 'sqlite',
      database: ':memory:',
    });
  });

  it('reads mysql://user:pass@host:3306/db', () => {
    expect(parseDatabaseUrl('mysql://u:p@h:3306/db')).toEqual({
      type: 'mysql',
      url: 'mysql://u:p@h:3306/db',
    });
  });

  it('reads mariadb:// as a MariaDB connection', () => {
    expect(parseDatabaseUrl('mariadb://u:p@h:3306/db')).toEqual({
      type: 'mariadb',
      url: 'mariadb://u:p@h:3306/db',
    });
  });

  it.each(['mysql://u:p@h:3306', 'mysql://u:p@h:3306/'])('refuses %s (no database name)', (url) => {
    expect(problemsOf({ DATABASE_URL: url })).toEqual([
      expect.stringMatching(/^DATABASE_URL needs a database name/),
    ]);
    expect(() => parseDatabaseUrl(url)).toThrow(/^DATABASE_URL needs a database name/);
  });

  it.each(['sqlite:', 'postgres://u:p@h/db', 'data/app.sqlite'])('refuses %s', (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow(/^DATABASE_URL /);
    expect(problemsOf({ DATABASE_URL: url })).toEqual([expect.stringMatching(/^DATABASE_URL /)]);
  });
});
