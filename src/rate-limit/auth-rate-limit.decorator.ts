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

/** Whether the route or its controller carries the mark `key`. */
function isMarked(key: string, context: ExecutionContext): boolean {
  return (
    reflector.getAllAndOverride<boolean | undefined>(key, [
      context.getHandler(),
      context.getClass(),
    ]) === true
  );
}

export function isAuthRateLimited(context: ExecutionContext): boolean {
  return isMarked(AUTH_RATE_LIMIT, context);
}

const ADMIN_RATE_LIMIT = 'adminRateLimit';

/**
 * Puts routes under ADMIN_RATE_LIMIT_PER_MIN (the admin API and its page), on
 * top of the global limit: a wrong admin token costs a request from it too,
 * so the token cannot be guessed at the global limit's pace.
 */
export const AdminRateLimit = (): ClassDecorator & MethodDecorator =>
  SetMetadata(ADMIN_RATE_LIMIT, true);

export function isAdminRateLimited(context: ExecutionContext): boolean {
  return isMarked(ADMIN_RATE_LIMIT, context);
}
