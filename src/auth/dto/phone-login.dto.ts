import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsWechatCode } from './wechat-code.decorator';

export class PhoneLoginDto {
  @ApiProperty({
    description:
      'The code from `<button open-type="getPhoneNumber">` (or getRealtimePhoneNumber). Not the wx.login code. Single-use, 5 minutes.',
    example: 'e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144',
    maxLength: 128,
  })
  @IsWechatCode()
  code: string;

  @ApiPropertyOptional({
    description:
      'A fresh `wx.login()` code. When given, the WeChat account (openid/unionid) is bound to the user so later visits can use POST /auth/wechat/session. ' +
      'It never fails the login: a loginCode WeChat refuses, or an account bound to another user, is skipped and the answer says `wechatAccountBound: false`. ' +
      'A WeChat account with another unionid than the user had takes the user over: the old account’s bindings are removed in every app.',
    maxLength: 128,
  })
  @IsWechatCode()
  @IsOptional()
  loginCode?: string;
}

/** The compatibility route takes the code as the original sample sends it, and an optional loginCode. */
export class LegacyPhoneLoginDto {
  @ApiProperty({ description: 'The getPhoneNumber code.', maxLength: 128 })
  @IsWechatCode()
  code: string;

  @ApiPropertyOptional({
    description:
      'A fresh `wx.login()` code, bound as with POST /auth/wechat/phone-login (never fails the login; see `wechatAccountBound`).',
    maxLength: 128,
  })
  @IsWechatCode()
  @IsOptional()
  loginCode?: string;
}
