import { ApiProperty } from '@nestjs/swagger';
import type { AvatarLinks } from '../avatars/avatar-links';
import { IsWechatCode } from '../auth/dto/wechat-code.decorator';
import type { FamilySummary } from '../auth/tokens/refresh-families';
import { UserDto } from '../users/user.dto';
import type { User } from '../users/user.entity';
import type { WechatAccount } from '../users/wechat-account.entity';

export class ChangePhoneDto {
  @ApiProperty({
    description:
      'A fresh code of `<button open-type="getPhoneNumber">` (or getRealtimePhoneNumber) for the new number. Single-use, 5 minutes.',
    maxLength: 128,
  })
  @IsWechatCode()
  code: string;
}

/** One login of the user, on one device. */
export class DeviceSessionDto {
  @ApiProperty({ description: 'What DELETE /users/me/sessions/{id} takes.', format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'The login.' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'The login or its last refresh.' })
  lastUsedAt: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description:
      'When it ends unless refreshed before (never past SESSION_MAX_AGE from the login).',
  })
  expiresAt: string;

  @ApiProperty({ description: 'The session of the access token making this request.' })
  current: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'WeChat iOS (iPhone)',
    description:
      "From the login's User-Agent: the WeChat client, platform and phone model; null without one.",
  })
  device: string | null;

  static from(family: FamilySummary, currentFamilyId: string): DeviceSessionDto {
    return {
      id: family.id,
      createdAt: family.createdAt.toISOString(),
      lastUsedAt: family.lastUsedAt.toISOString(),
      expiresAt: family.expiresAt.toISOString(),
      current: family.id === currentFamilyId,
      device: family.device,
    };
  }
}

export class ExportedSessionDto extends DeviceSessionDto {
  @ApiProperty({ description: 'Still usable (neither signed out nor expired).' })
  live: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When it was signed out.',
  })
  revokedAt: string | null;

  static fromFamily(family: FamilySummary, currentFamilyId: string): ExportedSessionDto {
    return {
      ...DeviceSessionDto.from(family, currentFamilyId),
      live: family.live,
      revokedAt: family.revokedAt?.toISOString() ?? null,
    };
  }
}

export class ExportedWechatAccountDto {
  @ApiProperty({ example: 'wx1234567890abcdef' })
  appId: string;

  @ApiProperty({ example: 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M' })
  openid: string;

  @ApiProperty({ type: String, nullable: true })
  unionid: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  boundAt: string;

  static from(account: WechatAccount): ExportedWechatAccountDto {
    return {
      appId: account.appId,
      openid: account.openid,
      unionid: account.unionid,
      boundAt: account.createdAt.toISOString(),
    };
  }
}

export class ExportedUserDto extends UserDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The WeChat Open Platform unionid, when WeChat gave one.',
  })
  unionid: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  blockedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  blockedReason: string | null;

  static fromUser(user: User, links: AvatarLinks): ExportedUserDto {
    return {
      ...UserDto.from(user, links),
      unionid: user.unionid,
      updatedAt: user.updatedAt.toISOString(),
      blockedAt: user.blockedAt?.toISOString() ?? null,
      blockedReason: user.blockedReason,
    };
  }
}

/** Everything stored about the user. Never a token, a token hash or a secret. */
export class AccountExportDto {
  @ApiProperty({ type: String, format: 'date-time' })
  exportedAt: string;

  @ApiProperty({ type: ExportedUserDto })
  user: ExportedUserDto;

  @ApiProperty({ type: [ExportedWechatAccountDto], description: 'One per mini-program.' })
  wechatAccounts: ExportedWechatAccountDto[];

  @ApiProperty({
    type: [ExportedSessionDto],
    description:
      'Every login still stored, live or ended (ended ones are deleted by housekeeping).',
  })
  sessions: ExportedSessionDto[];
}
