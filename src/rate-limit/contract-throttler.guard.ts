import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import { AppError } from '../common/app-error';
import { AppMetrics } from '../metrics/app-metrics';

/**
 * The throttler, answering in the contract's shape: 429 TOO_MANY_REQUESTS
 * with a plain Retry-After. One counter per client IP and limit, across all
 * routes (not one per route, which is the library's default).
 */
@Injectable()
export class ContractThrottlerGuard extends ThrottlerGuard {
  // A property: the library's guard owns the constructor's parameters.
  @Inject(AppMetrics) private readonly metrics!: AppMetrics;

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
    // The key is `<limit name>:<client>` (generateKey above).
    this.metrics.rateLimited.inc({ limit: detail.key.slice(0, detail.key.indexOf(':')) });
    throw new AppError('TOO_MANY_REQUESTS', 'Too many requests; slow down', {
      retryAfterSec: Math.max(1, Math.ceil(detail.timeToBlockExpire)),
    });
  }
}
