import { randomBytes } from 'node:crypto';
import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { providedByAppModule } from './config-token';
import { estimateEntropyBits } from './secret-entropy';

export interface JwtConfig {
  secret: string;
  accessTtlSec: number;
  refreshTtlSec: number;
  /** Absolute life of a login's refresh family, however often it rotates. */
  sessionMaxAgeSec: number;
  registrationTicketTtlSec: number;
}

/** HS256 keys should resist as much guessing as the hash offers a forger: 128 bits at least. */
const MIN_SECRET_BITS = 128;

/** Words that mark a hand-typed placeholder, matched as `word`, `Word` or `WORD`. */
const PLACEHOLDER_WORDS = [
  'change',
  'secret',
  'example',
  'placeholder',
  'default',
  'password',
  'your',
  'todo',
  'xxxxxx',
];

const PLACEHOLDER_FORMS = PLACEHOLDER_WORDS.flatMap((word) => [
  word,
  word[0].toUpperCase() + word.slice(1),
  word.toUpperCase(),
]);

/**
 * A placeholder word with little else around it. A random secret contains
 * one of these runs now and then (`openssl rand -base64 48` gives "Your" about
 * once in 100 000 outputs): what is left once the words are removed decides.
 */
function isPlaceholder(secret: string): boolean {
  const found = PLACEHOLDER_FORMS.filter((form) => secret.includes(form));
  if (found.length === 0) return false;
  const rest = found.reduce((left, form) => left.split(form).join(''), secret);
  return estimateEntropyBits(rest) < MIN_SECRET_BITS;
}

function weaknessOf(secret: string): string | undefined {
  if (secret.length < 32) return 'must be at least 32 characters';
  if (isPlaceholder(secret)) {
    return 'looks like a placeholder: use a random value (openssl rand -base64 48)';
  }
  const bits = estimateEntropyBits(secret);
  if (bits < MIN_SECRET_BITS) {
    return (
      `is too predictable (about ${bits} bits of estimated entropy, ${MIN_SECRET_BITS} needed): ` +
      'use a random value (openssl rand -base64 48)'
    );
  }
  return undefined;
}

/**
 * Outside production an unset JWT_SECRET gets a random per-process value, so a
 * restart logs everyone out; production refuses to start without a strong one.
 */
export function readJwtConfig(env: EnvReader): JwtConfig {
  const isProduction = env.raw('NODE_ENV') === 'production';
  let secret = env.raw('JWT_SECRET');
  if (secret === undefined) {
    if (isProduction) env.fail('JWT_SECRET', 'is required in production');
    secret = randomBytes(48).toString('base64');
  } else if (isProduction) {
    const weakness = weaknessOf(secret);
    if (weakness) env.fail('JWT_SECRET', weakness);
  }
  return {
    secret,
    accessTtlSec: env.durationSeconds('JWT_ACCESS_TTL', '15m'),
    refreshTtlSec: env.durationSeconds('JWT_REFRESH_TTL', '30d'),
    sessionMaxAgeSec: env.durationSeconds('SESSION_MAX_AGE', '180d'),
    registrationTicketTtlSec: env.durationSeconds('REGISTRATION_TICKET_TTL', '10m'),
  };
}

export const jwtConfig = registerAs('jwt', providedByAppModule<JwtConfig>('jwt'));
