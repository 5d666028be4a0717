import { createHash, timingSafeEqual } from 'node:crypto';
import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Public } from '../auth/public.decorator';
import { AppError } from '../common/app-error';
import { adminConfig } from '../config/admin.config';

const OPEN_WITHOUT_ADMIN_TOKEN = 'openWithoutAdminToken';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, and nothing else: not a user's access
 * token (the routes are @Public() for the user guard, which never sees them).
 * Both sides are hashed first, so timingSafeEqual compares equal lengths and
 * the time taken says nothing about the token, not even its length.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(
    @Inject(adminConfig.KEY) config: ConfigType<typeof adminConfig>,
    private readonly reflector: Reflector,
  ) {
    this.expected = config.token === undefined ? undefined : digest(config.token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === undefined) {
      const open = this.reflector.getAllAndOverride<boolean>(OPEN_WITHOUT_ADMIN_TOKEN, [
        context.getHandler(),
        context.getClass(),
      ]);
      if (open) return true;
      throw new AppError('NOT_FOUND', 'No such route');
    }
    const header = context.switchToHttp().getRequest<Request>().header('authorization') ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]), this.expected)) {
      throw new AppError(
        'ADMIN_TOKEN_INVALID',
        'The admin token is missing or wrong (Authorization: Bearer <ADMIN_TOKEN>)',
      );
    }
    return true;
  }
}

/** Guarded by ADMIN_TOKEN when one is set, open when none is (GET /metrics). */
export const AdminTokenWhenSet = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    Public(),
    SetMetadata(OPEN_WITHOUT_ADMIN_TOKEN, true),
    UseGuards(AdminTokenGuard),
  );
