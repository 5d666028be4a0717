import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { BoundedThrottlerStorage } from './bounded-throttler.storage';

/**
 * Rate-limit counters in Redis, so N instances enforce one limit. When Redis
 * is unreachable the limits fall back to this instance's memory (logged once,
 * and once more when Redis is back): a cache outage must never turn into 500s
 * or into no limit at all. Redis keys expire on their own (the hit counter
 * after its window, the block marker after the block), so Redis holds only
 * live counters; the fallback is the bounded in-memory store.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis;
  private readonly shared: ThrottlerStorageRedisService;
  private degraded = false;

  constructor(
    redisUrl: string,
    private readonly local: BoundedThrottlerStorage,
  ) {
    this.redis = new Redis(redisUrl, {
      // Fail fast while disconnected instead of queueing requests behind a dead cache.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 1000,
      commandTimeout: 500,
    });
    this.redis.on('error', (error: Error) => this.fallBack(error));
    this.shared = new ThrottlerStorageRedisService(this.redis);
  }

  /** Gives Redis a moment to connect before the first request, without ever blocking boot on it. */
  async onModuleInit(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      if (this.degraded) {
        this.degraded = false;
        this.logger.log('Redis is back: rate limits are shared across instances again');
      }
      return record;
    } catch (error) {
      this.fallBack(error as Error);
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }

  private fallBack(error: Error): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(
      `Redis unavailable (${error.message}): rate limits fall back to per-instance counters`,
    );
  }
}
