import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { AppError } from '../common/app-error';

const userIds = new WeakMap<Request, string>();

export function setCurrentUserId(req: Request, userId: string): void {
  userIds.set(req, userId);
}

/** The id of the user whose access token authorised this request. */
export const CurrentUserId = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const id = userIds.get(ctx.switchToHttp().getRequest<Request>());
  if (id === undefined) throw new AppError('UNAUTHORIZED', 'An access token is required');
  return id;
});
