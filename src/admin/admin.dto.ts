import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** Exactly one of the four. */
export class UserLookupQuery {
  @ApiPropertyOptional({
    example: '13800138000',
    description:
      'A national number of mainland China (`13800138000`, read as +86) or E.164 (`+8613800138000`).',
  })
  @IsOptional()
  // An unencoded `+` in a query string arrives as a space (`?phone=+86…` typed into curl).
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.replace(/^ (?=\d)/, '+').trim() : value,
  )
  @Matches(/^\+?\d{5,20}$/, { message: 'phone must be digits, optionally after a +' })
  phone?: string;

  @ApiPropertyOptional({ description: 'An openid in any of the served mini-programs.' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  openid?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 64)
  unionid?: string;

  @ApiPropertyOptional({ description: 'The user id (`user.id` in login answers).' })
  @IsOptional()
  @IsString()
  @Length(1, 36)
  id?: string;
}

export class BlockUserBody {
  @ApiProperty({
    example: 'spam reports #1234',
    description: 'Why, for the audit trail: 1–200 characters.',
  })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  reason: string;
}

export class OptionalReasonBody {
  @ApiPropertyOptional({ example: 'appeal accepted', description: 'Why, for the audit trail.' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(200)
  reason?: string;
}

export class AdminWechatAccountDto {
  @ApiProperty() appId: string;
  @ApiProperty() openid: string;
  @ApiProperty({ type: String, nullable: true }) unionid: string | null;
}

export class AdminAuditEntryDto {
  @ApiProperty({ type: String, format: 'date-time' }) at: string;
  @ApiProperty({
    enum: ['block', 'unblock', 'revoke-sessions', 'delete-user', 'refresh-wechat-token'],
  })
  action: string;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty() requestId: string;
}

export class AdminUserDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: '+8613800138000' }) phoneNumber: string;
  @ApiProperty({ type: String, nullable: true }) nickname: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastLoginAt: string | null;
  @ApiProperty() blocked: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) blockedAt: string | null;
  @ApiProperty({ type: String, nullable: true }) blockedReason: string | null;
  @ApiProperty({ type: [AdminWechatAccountDto] }) wechatAccounts: AdminWechatAccountDto[];
  @ApiProperty({ description: 'Logins whose refresh token is still usable.' }) liveSessions: number;
  @ApiProperty({
    type: [AdminAuditEntryDto],
    description: 'The latest 20 admin actions on this user, newest first.',
  })
  audit: AdminAuditEntryDto[];
}

class AdminTokenErrorDto {
  @ApiProperty({ type: String, format: 'date-time' }) at: string;
  @ApiProperty({
    example: "errcode 40164: this server's egress IP is not on the app's IP allow-list: …",
  })
  message: string;
}

class AdminForceRefreshUseDto {
  @ApiProperty({
    description: 'Forced refreshes today (China time), by all instances; WeChat allows 20.',
  })
  today: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAt: string | null;
}

class AdminMisconfiguredDto {
  @ApiProperty() errcode: number;
  @ApiProperty() hint: string;
}

export class AdminAppStatusDto {
  @ApiProperty() appId: string;
  @ApiProperty({ enum: ['stable', 'classic'] }) mode: string;
  @ApiProperty({ description: 'This instance holds a live token.' }) tokenHeld: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt: string | null;
  @ApiProperty({ type: Number, nullable: true }) expiresInSec: number | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When this instance last took a new token.',
  })
  lastRefreshAt: string | null;
  @ApiProperty({ type: AdminTokenErrorDto, nullable: true }) lastError: AdminTokenErrorDto | null;
  @ApiProperty({ type: AdminMisconfiguredDto, nullable: true })
  misconfigured: AdminMisconfiguredDto | null;
  @ApiProperty({ type: AdminForceRefreshUseDto }) forceRefresh: AdminForceRefreshUseDto;
}
