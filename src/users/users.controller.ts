import {
  applyDecorators,
  Body,
  Controller,
  Get,
  HttpCode,
  Patch,
  Post,
  Put,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentSession } from '../auth/current-session.decorator';
import type { AccessClaims } from '../auth/tokens/token.service';
import { AvatarLinks } from '../avatars/avatar-links';
import { AppError } from '../common/app-error';
import { MultipartUpload, UploadedFilePart } from '../common/http/multipart-upload';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { WechatApp } from '../wechat/wechat-app';
import { ApiWechatAppHeader, CurrentWechatApp } from '../wechat/wechat-app.decorator';
import { ProfileDto } from './profile.dto';
import { UserAvatarsService } from './user-avatars.service';
import { UserDto } from './user.dto';
import { UsersService } from './users.service';

/** The upload's interceptor and documentation, shared by PUT and POST. */
function AvatarUpload(method: 'PUT' | 'POST'): MethodDecorator {
  return applyDecorators(
    UseInterceptors(MultipartUpload({ multipartOnly: true })),
    ApiOperation({
      summary:
        method === 'PUT'
          ? 'Upload a new avatar (the file of the chooseAvatar button)'
          : 'Upload a new avatar, as wx.uploadFile sends it (POST)',
      description:
        '`multipart/form-data` with one file part, whatever its name (`wx.uploadFile({ name })`; `file` by convention): ' +
        'JPEG, PNG, WebP or GIF (first frame), at most AVATAR_MAX_BYTES (2 MiB by default). The image is decoded and ' +
        're-encoded (at most 640×640, EXIF/GPS and every other metadata dropped) and served at the new `avatarUrl`; ' +
        'the previous upload is deleted (its URL answers 404).' +
        (method === 'POST'
          ? ' Same as PUT /users/me/avatar: `wx.uploadFile` cannot send PUT.'
          : ''),
    }),
    ApiConsumes('multipart/form-data'),
    ApiBody({
      schema: {
        type: 'object',
        required: ['file'],
        properties: { file: { type: 'string', format: 'binary', description: 'The image.' } },
      },
    }),
    ApiOkResponse({ type: UserDto }),
    ApiErrors(
      'UNAUTHORIZED',
      'VALIDATION_FAILED',
      'REQUEST_REJECTED',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'AVATAR_INVALID',
      'TOO_MANY_REQUESTS',
      'DATABASE_UNAVAILABLE',
      'INTERNAL_ERROR',
    ),
  );
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly avatars: UserAvatarsService,
    private readonly links: AvatarLinks,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The user the access token belongs to' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors('UNAUTHORIZED', 'TOO_MANY_REQUESTS', 'DATABASE_UNAVAILABLE', 'INTERNAL_ERROR')
  async me(@CurrentSession() session: AccessClaims): Promise<UserDto> {
    return UserDto.from(await this.users.current(session.userId), this.links);
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
    const user = await this.users.updateProfile(
      await this.users.current(session.userId),
      body,
      app,
    );
    return UserDto.from(user, this.links);
  }

  @Put('me/avatar')
  @AvatarUpload('PUT')
  async replaceAvatar(
    @CurrentSession() session: AccessClaims,
    @UploadedFilePart() file: UploadedFilePart | undefined,
  ): Promise<UserDto> {
    // MultipartUpload({ multipartOnly }) lets no request through without its file part.
    if (!file) throw new AppError('VALIDATION_FAILED', 'The request has no file part');
    const user = await this.avatars.replace(await this.users.current(session.userId), file.buffer);
    return UserDto.from(user, this.links);
  }

  /** wx.uploadFile can only POST: the same upload under the method it sends. */
  @Post('me/avatar')
  @HttpCode(200)
  @AvatarUpload('POST')
  uploadAvatar(
    @CurrentSession() session: AccessClaims,
    @UploadedFilePart() file: UploadedFilePart | undefined,
  ): Promise<UserDto> {
    return this.replaceAvatar(session, file);
  }
}
