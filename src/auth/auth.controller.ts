import { Body, Controller, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AppError } from '../common/app-error';
import { ErrorCode } from '../common/error-codes';
import { MultipartUpload, UploadedFilePart } from '../common/http/multipart-upload';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { AuthRateLimit } from '../rate-limit/auth-rate-limit.decorator';
import { WechatApp } from '../wechat/wechat-app';
import { ApiWechatAppHeader, CurrentWechatApp } from '../wechat/wechat-app.decorator';
import { AuthService, LoginResult } from './auth.service';
import { LoginResponseDto, PhoneNotRegisteredDto } from './dto/login-response.dto';
import { PhoneLoginDto } from './dto/phone-login.dto';
import { RegisterDto, RegisterFormDto } from './dto/register.dto';
import { WechatSessionDto } from './dto/session.dto';
import { Public } from './public.decorator';

/** What every login that exchanges a WeChat code can answer. */
const WECHAT_LOGIN_ERRORS: ErrorCode[] = [
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'UNKNOWN_APPID',
  'WECHAT_CODE_INVALID',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'TOO_MANY_REQUESTS',
  'WECHAT_BAD_RESPONSE',
  'WECHAT_UNAVAILABLE',
  'WECHAT_MISCONFIGURED',
  'DATABASE_UNAVAILABLE',
  'INTERNAL_ERROR',
];

@ApiTags('auth')
@Public()
@ApiWechatAppHeader()
@AuthRateLimit()
@Controller('auth/wechat')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('phone-login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in with the code of the getPhoneNumber button',
    description:
      'Exchanges the code with WeChat for the verified phone number. Registered → 200 with tokens. ' +
      'Not registered → 404 PHONE_NOT_REGISTERED with the number and a registrationTicket for POST /auth/wechat/register. ' +
      'The phone proof wins: an optional `loginCode` is bound when it can be and never changes the answer ' +
      '(`wechatAccountBound` in the 200 says whether it was bound).',
  })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiNotFoundResponse({
    type: PhoneNotRegisteredDto,
    description: '`PHONE_NOT_REGISTERED`: WeChat verified the phone but no user has it.',
  })
  @ApiErrors(...WECHAT_LOGIN_ERRORS)
  phoneLogin(
    @Body() body: PhoneLoginDto,
    @CurrentWechatApp() app: WechatApp,
  ): Promise<LoginResult> {
    return this.auth.phoneLogin(app, body.code, body.loginCode);
  }

  @Post('session')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Silent login with a wx.login code',
    description:
      'For a returning user whose WeChat account was bound by an earlier phone-login or register with `loginCode`: ' +
      'no phone button, no paid phone-number call. 404 WECHAT_ACCOUNT_NOT_BOUND → show the phone button.',
  })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiErrors(...WECHAT_LOGIN_ERRORS, 'WECHAT_ACCOUNT_NOT_BOUND', 'WECHAT_USER_BLOCKED')
  session(
    @Body() body: WechatSessionDto,
    @CurrentWechatApp() app: WechatApp,
  ): Promise<LoginResult> {
    return this.auth.wechatSessionLogin(app, body.loginCode);
  }

  @Post('register')
  @UseInterceptors(MultipartUpload({ fileField: 'avatar', multipartOnly: false }))
  @ApiOperation({
    summary: 'Register the phone a registration ticket vouches for',
    description:
      "The ticket is single-use. The new user is logged in at once. The nickname goes through WeChat's content security (msg_sec_check); risky → 422 NICKNAME_REJECTED, nothing is created and the ticket stays usable.\n\n" +
      'JSON, or `multipart/form-data` with the same fields as text fields and the avatar image as file part `avatar` ' +
      "(what `wx.uploadFile({ name: 'avatar', formData: { registrationTicket, nickname, loginCode } })` sends): " +
      'the image is checked and re-encoded as by PUT /users/me/avatar. A refused image (413, 422 AVATAR_INVALID) ' +
      'or nickname creates nothing and leaves the ticket usable.',
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: RegisterFormDto })
  @ApiCreatedResponse({ type: LoginResponseDto })
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_JSON',
    'REQUEST_REJECTED',
    'UNKNOWN_APPID',
    'REGISTRATION_TICKET_INVALID',
    'PHONE_ALREADY_REGISTERED',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'NICKNAME_REJECTED',
    'AVATAR_INVALID',
    'TOO_MANY_REQUESTS',
    'DATABASE_UNAVAILABLE',
    'INTERNAL_ERROR',
  )
  register(
    @Body() body: RegisterDto,
    @CurrentWechatApp() app: WechatApp,
    @UploadedFilePart() avatar: UploadedFilePart | undefined,
  ): Promise<LoginResult> {
    if (avatar && body.avatarUrl !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'Send either an avatar file or avatarUrl, not both');
    }
    return this.auth.register(app, { ...body, avatarImage: avatar?.buffer });
  }
}
