import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { ProfileDto } from '../../users/profile.dto';
import { IsWechatCode } from './wechat-code.decorator';

export class RegisterDto extends ProfileDto {
  @ApiProperty({
    description:
      'From the 404 PHONE_NOT_REGISTERED answer of phone-login. Single-use, 10 minutes by default.',
  })
  @MaxLength(2048)
  @IsNotEmpty()
  @IsString()
  registrationTicket: string;

  @ApiPropertyOptional({
    description:
      'A fresh `wx.login()` code, to bind the WeChat account for silent login (not needed if phone-login already had one: the ticket carries it). ' +
      'It never fails the registration: when it cannot be bound the answer says `wechatAccountBound: false`.',
    maxLength: 128,
  })
  @IsWechatCode()
  @IsOptional()
  loginCode?: string;
}

/**
 * The registration body as documented: RegisterDto, plus the image file a
 * multipart/form-data registration may carry (never part of a JSON body).
 */
export class RegisterFormDto extends RegisterDto {
  @ApiPropertyOptional({
    type: 'string',
    format: 'binary',
    description:
      'multipart/form-data only: the avatar image (JPEG, PNG, WebP or GIF, at most AVATAR_MAX_BYTES), file part `avatar`.',
  })
  avatar?: Buffer;
}
