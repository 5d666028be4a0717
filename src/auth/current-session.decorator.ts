import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { AppError } from '../common/app-error';
import { AccessClaims } from './tokens/token.service';

const sessions = new WeakMap<Request, AccessClaims>();

export function setCurrentSession(req: Request, claims: AccessClaims): void {
  sessions.set(req, claims);
}

/** The verified access token of this request: its user and login (refresh family). */
export const CurrentSession = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AccessClaims => {
    const claims = sessions.get(ctx.switchToHttp().getRequest<Request>());
    if (claims === undefined) throw new AppError('UNAUTHORIZED', 'An access token is required');
    return claims;
  },
);
