import { applyDecorators } from '@nestjs/common';
import { IsString, MaxLength, ValidateBy } from 'class-validator';

/** The hosts WeChat serves profile pictures from (`userInfo.avatarUrl`). */
export const WECHAT_AVATAR_HOSTS: readonly string[] = ['thirdwx.qlogo.cn', 'wx.qlogo.cn'];

/**
 * The path an avatar stored by this server will have (`/avatars/<name>`):
 * a plain file name, so no `..` or second path segment can slip through.
 */
const ISSUED_AVATAR_PATH = /^\/avatars\/[A-Za-z0-9_-]{1,128}(\.(jpg|jpeg|png|webp|gif))?$/;

/**
 * Whether an avatar URL may be stored: an https URL on WeChat's avatar hosts
 * (no user:password@, no port but the default) or an avatar this server
 * issued (its path, or its absolute URL under PUBLIC_BASE_URL). Anything else — internal addresses such as 169.254.169.254 or
 * 127.0.0.1, other hosts — would make every client that shows the profile
 * fetch a URL of the user's choosing. The URL must be written the way a URL
 * parser writes it back, so no parser can read a different host into it.
 */
export function isAcceptedAvatarUrl(value: string): boolean {
  if (ISSUED_AVATAR_PATH.test(value)) return true;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.href !== value || url.username !== '' || url.password !== '') return false;
  // An avatar this server issued, as PUBLIC_BASE_URL spells it; the origin
  // is compared with PUBLIC_BASE_URL when it is stored (AvatarLinks.toStored).
  if (
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    url.search === '' &&
    url.hash === '' &&
    ISSUED_AVATAR_PATH.test(url.pathname.replace(/^.*(?=\/avatars\/)/, ''))
  ) {
    return true;
  }
  return url.protocol === 'https:' && url.port === '' && WECHAT_AVATAR_HOSTS.includes(url.hostname);
}

export function IsAvatarUrl(): PropertyDecorator {
  return applyDecorators(
    IsString(),
    MaxLength(512),
    ValidateBy({
      name: 'isAvatarUrl',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isAcceptedAvatarUrl(value),
        defaultMessage: () =>
          `avatarUrl must be an https URL on ${WECHAT_AVATAR_HOSTS.join(' or ')} or an avatar uploaded here (/avatars/…, or its URL under PUBLIC_BASE_URL)`,
      },
    }),
  );
}
