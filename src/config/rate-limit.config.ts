import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { providedByAppModule } from './config-token';

export interface RateLimitConfig {
  perMinute: number;
  authPerMinute: number;
  redisUrl?: string;
}

export function readRateLimitConfig(env: EnvReader): RateLimitConfig {
  const redisUrl = env.raw('REDIS_URL');
  return {
    perMinute: env.int('RATE_LIMIT_PER_MIN', 300, 1, 1_000_000),
    authPerMinute: env.int('RATE_LIMIT_AUTH_PER_MIN', 30, 1, 1_000_000),
    redisUrl:
      redisUrl === undefined ? undefined : env.url('REDIS_URL', redisUrl, ['redis:', 'rediss:']),
  };
}

export const rateLimitConfig = registerAs(
  'rateLimit',
  providedByAppModule<RateLimitConfig>('rateLimit'),
);
