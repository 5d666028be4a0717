import { EnvReader } from './env-reader';

/**
 * Used by each registerAs() factory. The whole environment was already
 * validated by validateEnv() before any factory runs, so errors here can only
 * mean the environment changed in between.
 */
export function readFromProcess<T>(read: (env: EnvReader) => T): T {
  const env = new EnvReader(process.env);
  const value = read(env);
  if (env.errors.length > 0) {
    throw new Error(`Invalid environment: ${env.errors.join('; ')}`);
  }
  return value;
}
