import { RawEnv } from './env-reader';
import { Configuration, loadConfig, LoadedConfiguration } from './load-config';

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid environment (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'InvalidEnvironmentError';
  }
}

/** The configuration, or one error listing every problem. */
export function requireValidConfig(loaded: LoadedConfiguration): Configuration {
  if (loaded.errors.length > 0) throw new InvalidEnvironmentError(loaded.errors);
  return loaded.config;
}

/** Runs every concern's reader so one boot failure lists every problem. */
export function validateEnv(raw: RawEnv): RawEnv {
  requireValidConfig(loadConfig(raw));
  return raw;
}
