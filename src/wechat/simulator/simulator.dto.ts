import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  NotEquals,
} from 'class-validator';
import { WECHAT_ENDPOINTS, WechatEndpoint } from '../wechat-errcodes';
import { MAX_FAULT_COUNT } from './simulator-faults';

export class MintPhoneCodeDto {
  @ApiProperty({
    example: '13800138000',
    description: 'National number, or E.164 (`+8613800138000`).',
  })
  @IsString()
  @Matches(/^\+?[\d\s-]{4,24}$/, {
    message: 'phoneNumber must be digits, optionally with a leading +',
  })
  phoneNumber: string;

  @ApiPropertyOptional({ example: '86', default: '86' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,4}$/, { message: 'countryCode must be 1-4 digits' })
  countryCode?: string;
}

export class MintLoginCodeDto {
  @ApiPropertyOptional({ description: 'Random when omitted.', example: 'o_sim_alice' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  openid?: string;

  @ApiPropertyOptional({ example: 'u_sim_alice' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  unionid?: string;
}

export class MintedCodeDto {
  @ApiProperty({ description: 'Single-use, valid for 5 minutes.' })
  code: string;
}

export class InjectFaultDto {
  @ApiProperty({
    enum: Object.keys(WECHAT_ENDPOINTS),
    example: 'jscode2session',
    description:
      'The WeChat API to fail: `token` (`/cgi-bin/token`), `stable_token`, `getuserphonenumber`, `jscode2session` (wx.login codes), `msg_sec_check`.',
  })
  @IsIn(Object.keys(WECHAT_ENDPOINTS))
  api: WechatEndpoint;

  @ApiProperty({
    example: 40226,
    description:
      'The errcode WeChat answers with, e.g. 40226 (user blocked), 45011 (too frequent), -1 (busy), 45009 (daily quota), 40164 (server IP not allowed).',
  })
  @IsInt()
  @Min(-1)
  @Max(9_999_999)
  @NotEquals(0, { message: 'errcode 0 is success, not a fault' })
  errcode: number;

  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: MAX_FAULT_COUNT })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_FAULT_COUNT)
  count?: number;
}

export class InjectedFaultDto {
  @ApiProperty({ enum: Object.keys(WECHAT_ENDPOINTS) })
  api: WechatEndpoint;

  @ApiProperty({
    description: 'How many of the next calls of this API will now fail (all faults queued for it).',
  })
  pending: number;
}
