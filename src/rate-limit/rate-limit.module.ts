import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Request } from 'express';
import { Clock } from '../common/clock';
import { clientIpOf, rateLimitSubjectOf } from '../common/http/client-ip';
import { adminConfig } from '../config/admin.config';
import { rateLimitConfig } from '../config/rate-limit.config';
import { isAdminRateLimited, isAuthRateLimited } from './auth-rate-limit.decorator';
import { BoundedThrottlerStorage } from './bounded-throttler.storage';
import { ContractThrottlerGuard } from './contract-throttler.guard';
import { ResilientThrottlerStorage } from './resilient-throttler.storage';

const MINUTE_MS = 60_000;

/**
 * Per-client limits on every route, tighter on the routes marked
 * @AuthRateLimit() (/auth/* and /getPhoneNumber: they cost WeChat calls), which
 * share one 'auth' counter per client, and on those marked @AdminRateLimit()
 * (/admin/*: one 'admin' counter per client). The client is its IP (IPv6: its /64)
 * as clientIpOf() reads it, honouring X-Forwarded-For only as far as
 * TRUST_PROXY allows. Counters live in Redis when REDIS_URL is set, else in
 * bounded memory.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [rateLimitConfig.KEY, adminConfig.KEY, Clock],
      useFactory: (
        config: ConfigType<typeof rateLimitConfig>,
        admin: ConfigType<typeof adminConfig>,
        clock: Clock,
      ) => ({
        throttlers: [
          { name: 'all', ttl: MINUTE_MS, limit: config.perMinute },
          {
            name: 'auth',
            ttl: MINUTE_MS,
            limit: config.authPerMinute,
            skipIf: (context) => !isAuthRateLimited(context),
          },
          {
            name: 'admin',
            ttl: MINUTE_MS,
            limit: admin.perMinute,
            skipIf: (context) => !isAdminRateLimited(context),
          },
        ],
        storage: config.redisUrl
          ? new ResilientThrottlerStorage(config.redisUrl, new BoundedThrottlerStorage(clock))
          : new BoundedThrottlerStorage(clock),
        getTracker: (req: Record<string, unknown>) =>
          rateLimitSubjectOf(clientIpOf(req as unknown as Request)),
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ContractThrottlerGuard }],
})
export class RateLimitModule {}
