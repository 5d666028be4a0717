import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import { AppError } from '../common/app-error';

/**
 * The throttler, answering in the contract's shape: 429 TOO_MANY_REQUESTS
 * with a plain Retry-After. One counter per client IP and limit, across all
 * routes (not one per route, which is the library's default).
 */
@Injectable()
export class ContractThrottlerGuard extends ThrottlerGuard {
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new AppError('TOO_MANY_REQUESTS', 'Too many requests; slow down', {
      retryAfterSec: Math.max(1, Math.ceil(detail.timeToBlockExpire)),
    });
  }
}
