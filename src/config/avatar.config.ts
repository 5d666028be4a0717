import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { providedByAppModule } from './config-token';

export interface AvatarConfig {
  /** Largest avatar upload in bytes (the file part, not the whole request). */
  maxBytes: number;
  /**
   * Origin (and optional path prefix) the app is reached at from the outside,
   * without a trailing slash; makes `avatarUrl` absolute, which `<image src>`
   * in a mini-program needs. Undefined: avatarUrl is the path alone.
   */
  publicBaseUrl?: string;
}

export function readAvatarConfig(env: EnvReader): AvatarConfig {
  const publicBaseUrl = env.raw('PUBLIC_BASE_URL');
  return {
    // 64 MiB at most: the image is held in memory while it is re-encoded.
    maxBytes: env.int('AVATAR_MAX_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    publicBaseUrl:
      publicBaseUrl === undefined ? undefined : readBaseUrl(env, 'PUBLIC_BASE_URL', publicBaseUrl),
  };
}

function readBaseUrl(env: EnvReader, name: string, value: string): string {
  const url = env.url(name, value, ['https:', 'http:']);
  try {
    const parsed = new URL(value);
    if (
      parsed.search !== '' ||
      parsed.hash !== '' ||
      parsed.username !== '' ||
      parsed.password !== ''
    ) {
      env.fail(name, 'must be an origin with an optional path, no query, fragment or user info');
    }
  } catch {
    // Already reported by env.url().
  }
  return url;
}

export const avatarConfig = registerAs('avatar', providedByAppModule<AvatarConfig>('avatar'));
