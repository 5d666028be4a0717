import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { providedByAppModule } from './config-token';

export interface AdminConfig {
  /** Opens /admin/* and guards /metrics; undefined: the admin API and page do not exist. */
  token: string | undefined;
  /** Requests per client IP per minute on /admin/* (the page, the API, wrong tokens included). */
  perMinute: number;
}

/** Long enough that it cannot be guessed through the admin rate limit. */
export const MIN_PRODUCTION_ADMIN_TOKEN_LENGTH = 32;

/**
 * ADMIN_TOKEN unset: no admin API, no operator page, /metrics open (scraped
 * inside the private network). Set: every /admin/* call and /metrics need it.
 */
export function readAdminConfig(env: EnvReader): AdminConfig {
  const token = env.raw('ADMIN_TOKEN');
  if (
    token !== undefined &&
    env.raw('NODE_ENV') === 'production' &&
    token.length < MIN_PRODUCTION_ADMIN_TOKEN_LENGTH
  ) {
    env.fail(
      'ADMIN_TOKEN',
      `must be at least ${MIN_PRODUCTION_ADMIN_TOKEN_LENGTH} characters in production (openssl rand -hex 32)`,
    );
  }
  if (token !== undefined && /\s/.test(token)) {
    env.fail('ADMIN_TOKEN', 'must not contain white space (it travels in an Authorization header)');
  }
  return { token, perMinute: env.int('ADMIN_RATE_LIMIT_PER_MIN', 60, 1, 1_000_000) };
}

export const adminConfig = registerAs('admin', providedByAppModule<AdminConfig>('admin'));
