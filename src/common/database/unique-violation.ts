import { QueryFailedError } from 'typeorm';

/** A unique index or primary key refused a row, on SQLite or MySQL/MariaDB. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: unknown; errno?: unknown };
  return (
    driverError.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    driverError.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    driverError.code === 'ER_DUP_ENTRY' ||
    driverError.errno === 1062
  );
}

/**
 * Awaits `write`; if a unique index refused it, throws what `conflict` builds
 * instead (the domain error the loser of a race gets); any other error passes.
 */
export async function writeOrConflict<T>(write: Promise<T>, conflict: () => Error): Promise<T> {
  try {
    return await write;
  } catch (error) {
    throw isUniqueViolation(error) ? conflict() : error;
  }
}
