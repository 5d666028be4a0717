import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiLegacyErrors } from '../common/swagger/api-errors.decorator';
import { AuthRateLimit } from '../rate-limit/auth-rate-limit.decorator';
import { WechatApp } from '../wechat/wechat-app';
import { ApiWechatAppHeader, CurrentWechatApp } from '../wechat/wechat-app.decorator';
import { AuthService } from './auth.service';
import { ClientDevice } from './client-device';
import { LoginResponseDto } from './dto/login-response.dto';
import { LegacyPhoneLoginDto } from './dto/phone-login.dto';
import { Public } from './public.decorator';

class LegacyLoginData extends LoginResponseDto {
  @ApiProperty({ enum: [200] })
  code: 200;

  @ApiProperty({ description: 'Same as accessToken (the sample reads `token`).' })
  token: string;
}

class LegacyLoginEnvelope {
  @ApiProperty({ type: LegacyLoginData })
  data: LegacyLoginData;
}

const DESCRIPTION =
  "For the original sample front end, whose `wx.request` reads `res.data.data`. Its `methods: 'POST'` typo " +
  'means it really sends GET with `?code=`, so both GET and POST work, with or without a trailing slash. ' +
  'Errors use the same HTTP status as POST /auth/wechat/phone-login, as `{ data: { code, msg, errorCode } }` ' +
  "(`errorCode` is the main route's `code`); a 404 also carries `phoneNumber`, `purePhoneNumber`, `countryCode` " +
  'and `registrationTicket`. New clients should use /auth/wechat/phone-login.';

/** The original sample's `/getPhoneNumber`, kept working on top of the real login. */
@ApiTags('compatibility')
@Public()
@ApiWechatAppHeader()
@ApiLegacyErrors(
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'UNKNOWN_APPID',
  'WECHAT_CODE_INVALID',
  'PHONE_NOT_REGISTERED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'TOO_MANY_REQUESTS',
  'INTERNAL_ERROR',
  'WECHAT_BAD_RESPONSE',
  'WECHAT_UNAVAILABLE',
  'WECHAT_MISCONFIGURED',
  'DATABASE_UNAVAILABLE',
)
@AuthRateLimit()
@Controller('getPhoneNumber')
export class LegacyPhoneController {
  constructor(private readonly auth: AuthService) {}

  @Get()
  @ApiOperation({ summary: 'Original sample: phone login (GET ?code=)', description: DESCRIPTION })
  @ApiOkResponse({ type: LegacyLoginEnvelope })
  viaQuery(
    @Query() query: LegacyPhoneLoginDto,
    @CurrentWechatApp() app: WechatApp,
    @ClientDevice() device: string | null,
  ): Promise<LegacyLoginEnvelope> {
    return this.login(app, query, device);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Original sample: phone login (POST { code })',
    description: DESCRIPTION,
  })
  @ApiOkResponse({ type: LegacyLoginEnvelope })
  viaBody(
    @Body() body: LegacyPhoneLoginDto,
    @CurrentWechatApp() app: WechatApp,
    @ClientDevice() device: string | null,
  ): Promise<LegacyLoginEnvelope> {
    return this.login(app, body, device);
  }

  private async login(
    app: WechatApp,
    input: LegacyPhoneLoginDto,
    device: string | null,
  ): Promise<LegacyLoginEnvelope> {
    const result = await this.auth.phoneLogin(app, input.code, input.loginCode, device);
    return { data: { code: 200, token: result.accessToken, ...result } };
  }
}
