import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppError } from '../common/app-error';
import { AccountStanding } from '../users/account-standing';
import { setCurrentSession } from './current-session.decorator';
import { IS_PUBLIC } from './public.decorator';
import { TokenService } from './tokens/token.service';

/**
 * Bound globally: a new route is protected unless it says @Public().
 * Only an access token (typ "access") opens it, and only while its user
 * exists and is not blocked (AccountStanding: at most one indexed read per
 * user per two seconds on each instance).
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly standing: AccountStanding,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const match = /^Bearer ([^\s]+)$/i.exec(req.header('authorization') ?? '');
    if (!match)
      throw new AppError('UNAUTHORIZED', 'An access token is required (Authorization: Bearer …)');
    const claims = await this.tokens.verifyAccessToken(match[1]);
    // A blocked or deleted user's token is still validly signed: refuse it anyway.
    await this.standing.assertActive(claims.userId);
    setCurrentSession(req, claims);
    return true;
  }
}
