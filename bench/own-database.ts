/**
 * What the MariaDB benches (soak, scale-out) do around a run: a database of
 * their own on the given server, a work directory, the session priority of
 * --nice, and all of it undone at the end, on failure and on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../test/helpers/test-database';
import { killAll } from './login/processes';
import { raiseSessionPriority } from './support';

export interface BenchSetting {
  work: string;
  databaseUrl: string;
  /** The database URL with no credentials and the random part elided, for printing. */
  databaseLabel: string;
}

export async function withOwnDatabase(
  options: { name: string; mysqlUrl: string; nice: string | undefined; log(line: string): void },
  run: (setting: BenchSetting) => Promise<void>,
): Promise<void> {
  const restorePriority =
    options.nice === undefined ? () => undefined : raiseSessionPriority(Number(options.nice));
  const work = mkdtempSync(join(tmpdir(), `wx-${options.name}-`));
  const database = await createTestDatabase(options.mysqlUrl, `wxlogin_${options.name}`);
  const cleanUp = async () => {
    restorePriority();
    await database
      .drop()
      .catch((error: unknown) => options.log(`could not drop the database: ${String(error)}`));
    rmSync(work, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    await run({
      work,
      databaseUrl: database.url,
      databaseLabel: database.url
        .replace(/\/\/[^@]*@/, '//…@')
        .replace(/\/[^/]*$/, `/wxlogin_${options.name}_…`),
    });
  } finally {
    await cleanUp();
  }
}
