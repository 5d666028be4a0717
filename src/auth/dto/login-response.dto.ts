import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserDto } from '../../users/user.dto';
import { ErrorBodyDto } from '../../common/swagger/error-body.dto';

export class SessionPairDto {
  @ApiProperty({ description: 'JWT (HS256) for `Authorization: Bearer …`. Short-lived.' })
  accessToken: string;

  @ApiProperty({
    description:
      'Opaque, single-use: exchange it at POST /auth/refresh for a new pair when the access token expires.',
    example: 'rt_3q2-7wQ0nX8eWmVd1uC5yH4bJ6kL9pR2sT0vZ3aG1fE',
  })
  refreshToken: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires.', example: 900 })
  expiresIn: number;
}

export class LoginResponseDto extends SessionPairDto {
  @ApiProperty({ type: UserDto })
  user: UserDto;

  @ApiPropertyOptional({
    description:
      'On phone-login, register and /getPhoneNumber: present whenever a `loginCode` was sent (with register: also ' +
      'when the registration ticket carries one); never on silent login, where the account is bound already. ' +
      '`true`: this WeChat account is bound to the user, so POST /auth/wechat/session logs in silently. ' +
      '`false`: the binding was skipped and the login went ahead on the phone proof alone: WeChat did not ' +
      'resolve the loginCode (invalid, expired, blocked user, outage), or its openid or unionid belongs to ' +
      'another user. A binding is never moved from one user to another.',
  })
  wechatAccountBound?: boolean;
}

export class PhoneNotRegisteredDto extends ErrorBodyDto {
  @ApiProperty({ enum: ['PHONE_NOT_REGISTERED'] })
  declare code: string;

  @ApiProperty({ example: '+8613800138000', description: 'E.164, verified by WeChat.' })
  phoneNumber: string;

  @ApiProperty({ example: '13800138000' })
  purePhoneNumber: string;

  @ApiProperty({ example: '86' })
  countryCode: string;

  @ApiProperty({ description: 'Send to POST /auth/wechat/register.' })
  registrationTicket: string;

  @ApiProperty({ example: 600, description: 'Seconds.' })
  registrationTicketExpiresIn: number;
}
