import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AppError } from '../common/app-error';
import { avatarConfig } from '../config/avatar.config';
import { WECHAT_AVATAR_HOSTS } from '../users/avatar-url';

/** The path of a stored avatar; also what `users.avatar_url` holds for one. */
const ISSUED_PATH = /^\/avatars\/([a-f0-9]{40}\.(?:jpg|png))$/;

/**
 * Between a stored avatar's name and the `avatarUrl` clients see: the path
 * `/avatars/{name}` in the database, made absolute with PUBLIC_BASE_URL on
 * the way out (what `<image src>` in a mini-program needs), and back.
 */
@Injectable()
export class AvatarLinks {
  constructor(@Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>) {}

  pathOf(name: string): string {
    return `/avatars/${name}`;
  }

  /** The stored avatar name behind a stored avatarUrl, when it is one uploaded here. */
  nameOf(storedUrl: string | null): string | undefined {
    return storedUrl === null ? undefined : ISSUED_PATH.exec(storedUrl)?.[1];
  }

  /** The avatarUrl a client sees for what is stored. */
  publicUrl(storedUrl: string | null): string | null {
    if (storedUrl === null || this.config.publicBaseUrl === undefined) return storedUrl;
    return this.nameOf(storedUrl) !== undefined ? this.config.publicBaseUrl + storedUrl : storedUrl;
  }

  /**
   * What to store for an avatarUrl a client sent (already checked by
   * IsAvatarUrl): an absolute URL of an avatar uploaded here is kept as its
   * path, so a later change of PUBLIC_BASE_URL moves every link with it.
   */
  toStored(url: string): string {
    if (url.startsWith('/')) return url;
    const base = this.config.publicBaseUrl;
    if (base !== undefined && url.startsWith(`${base}/avatars/`)) return url.slice(base.length);
    if (WECHAT_AVATAR_HOSTS.includes(new URL(url).hostname)) return url;
    throw new AppError(
      'VALIDATION_FAILED',
      'avatarUrl names an avatar on another server; only avatars uploaded here are accepted',
    );
  }
}
