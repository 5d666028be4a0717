import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { AuthRateLimit } from '../rate-limit/auth-rate-limit.decorator';
import { AuthService, SessionPair } from './auth.service';
import { CurrentSession } from './current-session.decorator';
import { SessionPairDto } from './dto/login-response.dto';
import { LogoutDto, RefreshDto } from './dto/session.dto';
import { Public } from './public.decorator';
import type { AccessClaims } from './tokens/token.service';

@ApiTags('auth')
@AuthRateLimit()
@Controller('auth')
export class SessionController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair (rotation)',
    description:
      'The presented refresh token is spent. Presenting it again later revokes the whole session ' +
      '(REFRESH_TOKEN_REUSED); within 2 s (a client racing itself) the same new refresh token is returned instead, ' +
      'and the replay is logged. A login ends SESSION_MAX_AGE after it was made, however often it refreshes ' +
      '(REFRESH_TOKEN_EXPIRED).',
  })
  @ApiOkResponse({ type: SessionPairDto })
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_JSON',
    'REFRESH_TOKEN_INVALID',
    'REFRESH_TOKEN_EXPIRED',
    'REFRESH_TOKEN_REUSED',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'TOO_MANY_REQUESTS',
    'DATABASE_UNAVAILABLE',
    'INTERNAL_ERROR',
  )
  refresh(@Body() body: RefreshDto): Promise<SessionPair> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Revoke this session (or every session of the user)',
    description:
      'The refresh tokens of this login stop working at once; the access token itself lives out its short lifetime.',
  })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiErrors(
    'UNAUTHORIZED',
    'VALIDATION_FAILED',
    'TOO_MANY_REQUESTS',
    'DATABASE_UNAVAILABLE',
    'INTERNAL_ERROR',
  )
  async logout(@CurrentSession() session: AccessClaims, @Body() body: LogoutDto): Promise<void> {
    await this.auth.logout(session, body.allDevices === true);
  }
}
