import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsAvatarUrl, WECHAT_AVATAR_HOSTS } from './avatar-url';
import { IsNickname, NICKNAME_MAX_CHARACTERS } from './nickname';

/** What a user may say about themself: at registration and in PATCH /users/me. */
export class ProfileDto {
  @ApiPropertyOptional({
    example: '小明',
    minLength: 1,
    maxLength: NICKNAME_MAX_CHARACTERS,
    description:
      `Trimmed, then 1–${NICKNAME_MAX_CHARACTERS} characters counted as Unicode code points ` +
      '(a Chinese character or a simple emoji is one; a flag or a family emoji is several). ' +
      'Control and bidirectional-formatting characters are refused, and so is a nickname with nothing visible.',
  })
  @IsNickname()
  @IsOptional()
  nickname?: string;

  @ApiPropertyOptional({
    example: 'https://thirdwx.qlogo.cn/mmopen/vi_32/avatar/132',
    description: `An https URL on ${WECHAT_AVATAR_HOSTS.join(' or ')} (no user info, no port), or the \`/avatars/…\` path of an avatar uploaded here. At most 512 characters.`,
    maxLength: 512,
  })
  @IsAvatarUrl()
  @IsOptional()
  avatarUrl?: string;
}
