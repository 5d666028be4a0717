import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Clock } from '../common/clock';

/**
 * At most this many counters (one per client and limit) are held: measured at
 * 200 bytes each for IPv4 clients and 290 for IPv6 /64s (bench/RESULTS.md), so
 * the store stays under 6 MB however many distinct clients come. Evicting a
 * counter only forgets a client's count (the limit gets more lenient for it,
 * never stricter); more than 20 000 clients a minute on one instance calls for
 * REDIS_URL anyway.
 */
export const DEFAULT_MAX_COUNTERS = 20_000;

interface Counter {
  hits: number;
  windowEndsAt: number;
  /** 0 when not blocked. */
  blockedUntil: number;
}

/**
 * Rate-limit counters in this process's memory, bounded: a fixed window per
 * client and limit (a counter and an end time, as the Redis store does, not a
 * list of hit timestamps), so a hit costs O(1) and a counter a few fields.
 * The Map is kept in least-recently-used order: counters past their window
 * are dropped from its front as hits arrive, and when it is full the least
 * recently used counter is evicted, so a flood of distinct clients costs
 * at most `maxCounters` counters, never the process.
 *
 * Semantics follow @nestjs/throttler's own storage: past `limit` hits in a
 * window the key is blocked for `blockDuration` (hits are not counted while
 * blocked), and the first hit after the block starts a fresh window.
 */
export class BoundedThrottlerStorage implements ThrottlerStorage {
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly clock: Clock = new Clock(),
    readonly maxCounters = DEFAULT_MAX_COUNTERS,
  ) {}

  get size(): number {
    return this.counters.size;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = this.clock.now();
    const id = `${throttlerName}\u0000${key}`;
    const counter = this.take(id, now, ttl);
    let blocked: boolean;
    let totalHits: number;
    if (blockDuration <= 0) {
      // No block: every hit past the limit is refused until the window ends.
      blocked = counter.hits >= limit;
      if (!blocked) counter.hits += 1;
      totalHits = counter.hits + (blocked ? 1 : 0);
    } else {
      if (counter.blockedUntil === 0) {
        counter.hits += 1;
        if (counter.hits > limit) counter.blockedUntil = now + blockDuration;
      }
      blocked = counter.blockedUntil > now;
      totalHits = counter.hits;
    }
    const timeToExpire = seconds(counter.windowEndsAt - now);
    const blockEndsAt = blockDuration <= 0 ? counter.windowEndsAt : counter.blockedUntil;
    this.dropExpired(now);
    return Promise.resolve({
      totalHits,
      timeToExpire,
      isBlocked: blocked,
      timeToBlockExpire: blocked ? seconds(blockEndsAt - now) : 0,
    });
  }

  /** The key's counter, moved to the back (most recently used), renewed when its window or block is over. */
  private take(id: string, now: number, ttl: number): Counter {
    let counter = this.counters.get(id);
    if (counter) {
      this.counters.delete(id);
      if (counter.blockedUntil !== 0 ? counter.blockedUntil <= now : counter.windowEndsAt <= now) {
        counter = undefined;
      }
    }
    counter ??= { hits: 0, windowEndsAt: now + ttl, blockedUntil: 0 };
    this.counters.set(id, counter);
    if (this.counters.size > this.maxCounters) {
      this.counters.delete(this.counters.keys().next().value as string);
    }
    return counter;
  }

  /** Drops a couple of dead counters from the front: memory shrinks back after a flood, at O(1) per hit. */
  private dropExpired(now: number): void {
    for (let i = 0; i < 2; i++) {
      const first = this.counters.entries().next();
      if (first.done) return;
      const [id, counter] = first.value;
      if (counter.windowEndsAt > now || counter.blockedUntil > now) return;
      this.counters.delete(id);
    }
  }
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
