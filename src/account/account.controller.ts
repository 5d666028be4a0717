import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { AvatarLinks } from '../avatars/avatar-links';
import { WECHAT_LOGIN_ERRORS } from '../auth/auth.controller';
import { CurrentSession } from '../auth/current-session.decorator';
import type { AccessClaims } from '../auth/tokens/token.service';
import { ErrorCode } from '../common/error-codes';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { AuthRateLimit } from '../rate-limit/auth-rate-limit.decorator';
import { UserDto } from '../users/user.dto';
import { WechatApp } from '../wechat/wechat-app';
import { ApiWechatAppHeader, CurrentWechatApp } from '../wechat/wechat-app.decorator';
import { AccountDeletion } from './account-deletion.service';
import { AccountExportDto, ChangePhoneDto, DeviceSessionDto } from './account.dto';
import { AccountService } from './account.service';

/** What every route here can answer: the user's access token and standing, the limits, the database. */
const BEARER_ERRORS: ErrorCode[] = [
  'UNAUTHORIZED',
  'USER_BLOCKED',
  'TOO_MANY_REQUESTS',
  'DATABASE_UNAVAILABLE',
  'INTERNAL_ERROR',
];

/** A Bearer route that exchanges a phone code as a login does. */
const PHONE_CHANGE_ERRORS = [
  ...new Set<ErrorCode>([...WECHAT_LOGIN_ERRORS, ...BEARER_ERRORS, 'PHONE_ALREADY_REGISTERED']),
];

/** The account lifecycle of the signed-in user (README, "Account lifecycle"). */
@ApiTags('account')
@ApiBearerAuth()
@Controller('users/me')
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly deletion: AccountDeletion,
    private readonly links: AvatarLinks,
  ) {}

  @Put('phone')
  // A paid WeChat phone call, like the login routes: under their limit too.
  @AuthRateLimit()
  @ApiOperation({
    summary: 'Change the phone number',
    description:
      'With a fresh getPhoneNumber code for the new number. 409 PHONE_ALREADY_REGISTERED when another user has it ' +
      '(of two users claiming one number at once, exactly one gets it). The old number is free at once: it can register as a new user.',
  })
  @ApiWechatAppHeader()
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(...PHONE_CHANGE_ERRORS)
  async changePhone(
    @CurrentSession() session: AccessClaims,
    @Body() body: ChangePhoneDto,
    @CurrentWechatApp() app: WechatApp,
  ): Promise<UserDto> {
    return UserDto.from(await this.account.changePhone(session.userId, app, body.code), this.links);
  }

  @Get('sessions')
  @ApiOperation({
    summary: "The user's live sessions, one per logged-in device",
    description:
      'Newest use first. `device` is a label parsed from the User-Agent of the login (never the IP); `current` marks the session of this access token.',
  })
  @ApiOkResponse({ type: [DeviceSessionDto] })
  @ApiErrors(...BEARER_ERRORS)
  sessions(@CurrentSession() session: AccessClaims): Promise<DeviceSessionDto[]> {
    return this.account.sessions(session.userId, session.familyId);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Sign one device out',
    description:
      "That session's refresh tokens stop working at once; an access token it already holds lives out its short lifetime (JWT_ACCESS_TTL), as after a logout.",
  })
  @ApiParam({ name: 'id', description: 'A session id from GET /users/me/sessions.' })
  @ApiNoContentResponse({ description: 'Signed out.' })
  @ApiErrors(...BEARER_ERRORS, 'SESSION_NOT_FOUND')
  async signOut(@CurrentSession() session: AccessClaims, @Param('id') id: string): Promise<void> {
    await this.account.signOut(session.userId, id);
  }

  @Get('export')
  @ApiOperation({
    summary: 'Everything stored about the user',
    description:
      'Profile, phone, WeChat bindings (appid, openid, unionid) and every stored session with its metadata. Never a token, a token hash or a secret.',
  })
  @ApiOkResponse({ type: AccountExportDto })
  @ApiErrors(...BEARER_ERRORS)
  export(@CurrentSession() session: AccessClaims): Promise<AccountExportDto> {
    return this.account.export(session.userId, session.familyId);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete the account (注销)',
    description:
      'Erases the phone, nickname, avatar and WeChat bindings and every session; only an anonymised record (user id, time, requester) is kept. ' +
      'Access tokens are refused (401 UNAUTHORIZED) within seconds on every instance. The phone can register again as a new user; ' +
      'silent login with the old WeChat account answers 404 WECHAT_ACCOUNT_NOT_BOUND.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrors(...BEARER_ERRORS)
  async delete(@CurrentSession() session: AccessClaims): Promise<void> {
    await this.deletion.deleteUser(session.userId, { requestedBy: 'self' });
  }
}
