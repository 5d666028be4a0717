import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { UsersRepository } from './users.repository';

/** What an authenticated request may do: act, be refused as blocked, or be refused as gone (deleted). */
export type Standing = 'active' | 'blocked' | 'gone';

/**
 * How long an instance trusts what it read about a user. A user blocked or
 * deleted through another instance has their access tokens refused within
 * this much (plus one request), however long the token itself still lives.
 */
export const STANDING_TTL_MS = 2000;
/** Entries kept per instance; the least recently read go first. */
export const STANDING_CACHE_SIZE = 10_000;

interface Entry {
  standing: Promise<Standing>;
  readAt: number;
}

/**
 * The access guard's check that a token's user may still act. A signed access
 * token says who the user was when it was issued; blocking or deleting the
 * account must stop it long before it expires. Each instance keeps what it
 * read for STANDING_TTL_MS, so a user's burst of requests costs one indexed
 * read per two seconds, and concurrent requests share one read.
 */
@Injectable()
export class AccountStanding {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly users: UsersRepository,
    private readonly clock: Clock,
  ) {}

  /** Throws 403 USER_BLOCKED or 401 UNAUTHORIZED unless the user may act. */
  async assertActive(userId: string): Promise<void> {
    const standing = await this.of(userId);
    if (standing === 'blocked') throw blocked();
    if (standing === 'gone') {
      throw new AppError('UNAUTHORIZED', 'This account no longer exists; log in again');
    }
  }

  of(userId: string): Promise<Standing> {
    const now = this.clock.now();
    const cached = this.cache.get(userId);
    if (cached && now - cached.readAt < STANDING_TTL_MS) {
      // Re-inserted: the Map's order is then least recently used first.
      this.cache.delete(userId);
      this.cache.set(userId, cached);
      return cached.standing;
    }
    const standing = this.read(userId);
    this.cache.set(userId, { standing, readAt: now });
    // A failed read is not remembered: the next request reads again.
    standing.catch(() => this.cache.delete(userId));
    while (this.cache.size > STANDING_CACHE_SIZE) {
      this.cache.delete(this.cache.keys().next().value as string);
    }
    return standing;
  }

  /** After this instance blocks, unblocks or deletes a user: no stale answer here. */
  forget(userId: string): void {
    this.cache.delete(userId);
  }

  private async read(userId: string): Promise<Standing> {
    return standingOf(await this.users.findStanding(userId));
  }
}

/** A user's standing from their row (null: no such user, i.e. deleted). */
export function standingOf(user: { blockedAt: Date | null } | null): Standing {
  if (!user) return 'gone';
  return user.blockedAt ? 'blocked' : 'active';
}

/** The answer to a blocked user, on every login path, refresh and Bearer route. */
export function blocked(): AppError {
  return new AppError(
    'USER_BLOCKED',
    'This account is blocked by the operator of this service; contact its support',
  );
}
