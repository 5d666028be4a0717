import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { RawEnv } from './env-reader';

/**
 * The environment of this process over a local `.env` file (a convenience;
 * variables already set win). The app and the migration CLI both read it
 * through here, so a variable kept only in `.env` means the same to both.
 */
export function readEnvironment(processEnv: RawEnv = process.env, envFile = '.env'): RawEnv {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...processEnv };
}
