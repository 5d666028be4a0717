import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../auth/current-session.decorator';
import type { AccessClaims } from '../auth/tokens/token.service';
import { AppError } from '../common/app-error';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { WechatApp } from '../wechat/wechat-app';
import { ApiWechatAppHeader, CurrentWechatApp } from '../wechat/wechat-app.decorator';
import { ProfileDto } from './profile.dto';
import { UserDto } from './user.dto';
import { User } from './user.entity';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ summary: 'The user the access token belongs to' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors('UNAUTHORIZED', 'TOO_MANY_REQUESTS', 'DATABASE_UNAVAILABLE', 'INTERNAL_ERROR')
  async me(@CurrentSession() session: AccessClaims): Promise<UserDto> {
    return UserDto.from(await this.load(session));
  }

  @Patch('me')
  @ApiOperation({
    summary: 'Change nickname and/or avatar',
    description:
      "A new nickname goes through WeChat's content security (msg_sec_check) as written by the user's openid in the calling mini-program; risky → 422 NICKNAME_REJECTED and nothing is changed.",
  })
  @ApiWechatAppHeader()
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(
    'UNAUTHORIZED',
    'VALIDATION_FAILED',
    'INVALID_JSON',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'UNKNOWN_APPID',
    'NICKNAME_REJECTED',
    'TOO_MANY_REQUESTS',
    'DATABASE_UNAVAILABLE',
    'INTERNAL_ERROR',
  )
  async update(
    @CurrentSession() session: AccessClaims,
    @Body() body: ProfileDto,
    @CurrentWechatApp() app: WechatApp,
  ): Promise<UserDto> {
    return UserDto.from(await this.users.updateProfile(await this.load(session), body, app));
  }

  private async load(session: AccessClaims): Promise<User> {
    const user = await this.users.findById(session.userId);
    // A valid token for a user that no longer exists is as good as no token.
    if (!user) throw new AppError('UNAUTHORIZED', 'The user of this token no longer exists');
    return user;
  }
}
