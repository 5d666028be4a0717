import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsWechatCode } from './wechat-code.decorator';

export class WechatSessionDto {
  @ApiProperty({ description: 'A fresh `wx.login()` code. Single-use, 5 minutes.', maxLength: 128 })
  @IsWechatCode()
  loginCode: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token of the last login or refresh.' })
  // Generous on purpose: an access token sent here by mistake gets the
  // precise 401 REFRESH_TOKEN_INVALID, not a length complaint.
  @MaxLength(2048)
  @IsNotEmpty()
  @IsString()
  refreshToken: string;
}

export class LogoutDto {
  @ApiPropertyOptional({
    description: 'Revoke every session of the user, not only this one.',
    default: false,
  })
  @IsBoolean()
  @IsOptional()
  allDevices?: boolean;
}
