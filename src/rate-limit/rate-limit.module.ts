import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Request } from 'express';
import { rateLimitConfig } from '../config/rate-limit.config';
import { ContractThrottlerGuard } from './contract-throttler.guard';
import { ResilientThrottlerStorage } from './resilient-throttler.storage';

const MINUTE_MS = 60_000;

/** Routes that cost a WeChat call: their tighter limit protects the quota and the bill. */
export function isAuthRoute(path: string): boolean {
  return path.startsWith('/auth/') || path.startsWith('/getPhoneNumber');
}

/**
 * Per-IP limits on every route, tighter on /auth/* and /getPhoneNumber. The
 * client IP is `req.ip`, which honours X-Forwarded-For only when TRUST_PROXY
 * is set. Counters live in Redis when REDIS_URL is set, else in memory.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [rateLimitConfig.KEY],
      useFactory: (config: ConfigType<typeof rateLimitConfig>) => ({
        throttlers: [
          { name: 'all', ttl: MINUTE_MS, limit: config.perMinute },
          {
            name: 'auth',
            ttl: MINUTE_MS,
            limit: config.authPerMinute,
            skipIf: (context) => !isAuthRoute(context.switchToHttp().getRequest<Request>().path),
          },
        ],
        storage: config.redisUrl ? new ResilientThrottlerStorage(config.redisUrl) : undefined,
        getTracker: (req: Record<string, unknown>) => String((req as unknown as Request).ip),
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ContractThrottlerGuard }],
})
export class RateLimitModule {}
