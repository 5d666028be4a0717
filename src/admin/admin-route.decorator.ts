import { applyDecorators, createParamDecorator, ExecutionContext, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../auth/public.decorator';
import { requestIdOf } from '../common/http/request-id';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { AdminRateLimit } from '../rate-limit/auth-rate-limit.decorator';
import { AdminTokenGuard } from './admin-token.guard';

/** The Swagger security scheme of the admin routes (DocumentBuilder.addBearerAuth(…, 'admin')). */
export const ADMIN_SECURITY = 'admin';

/**
 * An admin API controller: public for the user access-token guard (a user's
 * token must never open it, and the admin token is no user's), guarded by
 * ADMIN_TOKEN instead, under the admin rate limit, in Swagger's admin tag.
 */
export const AdminApi = (): ClassDecorator =>
  applyDecorators(
    Public(),
    UseGuards(AdminTokenGuard),
    AdminRateLimit(),
    ApiTags('admin'),
    ApiBearerAuth(ADMIN_SECURITY),
    ApiErrors('ADMIN_TOKEN_INVALID', 'TOO_MANY_REQUESTS'),
  );

/** The request id, for the audit trail. */
export const RequestId = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  requestIdOf(context.switchToHttp().getRequest<Request>()),
);
