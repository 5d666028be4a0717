import { readAppConfig } from './app.config';
import { readDatabaseConfig } from './database.config';
import { EnvReader, RawEnv } from './env-reader';
import { readJwtConfig } from './jwt.config';
import { readRateLimitConfig } from './rate-limit.config';
import { readServerConfig } from './server.config';
import { readWechatConfig } from './wechat.config';

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid environment (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'InvalidEnvironmentError';
  }
}

/** Runs every concern's reader so one boot failure lists every problem. */
export function validateEnv(raw: RawEnv): RawEnv {
  const env = new EnvReader(raw);
  readAppConfig(env);
  readDatabaseConfig(env);
  const { simulator } = readWechatConfig(env);
  readJwtConfig(env);
  readRateLimitConfig(env);
  readServerConfig(env, simulator);
  if (env.errors.length > 0) throw new InvalidEnvironmentError(env.errors);
  return raw;
}
