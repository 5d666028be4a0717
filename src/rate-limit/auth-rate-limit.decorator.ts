import { ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

const AUTH_RATE_LIMIT = 'authRateLimit';

/**
 * Puts a controller's (or one handler's) routes under RATE_LIMIT_AUTH_PER_MIN
 * as well as the global limit: the routes that cost WeChat calls or hand out
 * sessions. Decided by the route Express matched, not by the raw path, which
 * Express matches case-insensitively and with or without a trailing slash.
 */
export const AuthRateLimit = (): ClassDecorator & MethodDecorator =>
  SetMetadata(AUTH_RATE_LIMIT, true);

const reflector = new Reflector();

export function isAuthRateLimited(context: ExecutionContext): boolean {
  return (
    reflector.getAllAndOverride<boolean | undefined>(AUTH_RATE_LIMIT, [
      context.getHandler(),
      context.getClass(),
    ]) === true
  );
}
