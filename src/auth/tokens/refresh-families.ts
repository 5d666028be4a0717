import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, MoreThan, Repository } from 'typeorm';
import { Clock } from '../../common/clock';
import { jwtConfig } from '../../config/jwt.config';
import { RefreshToken } from './refresh-token.entity';
import { RefreshTokenService } from './refresh-token.service';

/** One login (refresh family) as its user sees it. Never a token or a hash. */
export interface FamilySummary {
  /** The family id: what DELETE /users/me/sessions/{id} takes. */
  id: string;
  /** The login. */
  createdAt: Date;
  /** The login or the last refresh, whichever came last. */
  lastUsedAt: Date;
  /** When the session ends unless it is refreshed (never past SESSION_MAX_AGE from the login). */
  expiresAt: Date;
  device: string | null;
  /** When it was signed out (logout, a revoked device, reuse); null while it lives or after it expired. */
  revokedAt: Date | null;
  live: boolean;
}

/**
 * A user's logins seen from the outside: the device sessions list, signing
 * one device out, the export, and the erasure of a deleted account. The
 * token rules themselves (rotation, reuse, expiry) stay in RefreshTokenService.
 */
@Injectable()
export class RefreshFamilies {
  constructor(
    @InjectRepository(RefreshToken) private readonly rows: Repository<RefreshToken>,
    private readonly tokens: RefreshTokenService,
    private readonly clock: Clock,
    @Inject(jwtConfig.KEY) private readonly config: ConfigType<typeof jwtConfig>,
  ) {}

  /**
   * The user's live logins, newest use first: one per family whose current
   * token (neither spent nor revoked) has not expired.
   */
  async live(userId: string): Promise<FamilySummary[]> {
    const now = this.clock.now();
    const heads = await this.rows.find({
      where: { userId, usedAt: IsNull(), revokedAt: IsNull(), expiresAt: MoreThan(new Date(now)) },
    });
    return heads
      .map((head) => this.summary([head], now))
      .filter((family) => family.live)
      .sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime());
  }

  /** Every family still stored for the user, live or ended (for the export). */
  async all(userId: string): Promise<FamilySummary[]> {
    const now = this.clock.now();
    const byFamily = new Map<string, RefreshToken[]>();
    for (const row of await this.rows.find({ where: { userId } })) {
      byFamily.set(row.familyId, [...(byFamily.get(row.familyId) ?? []), row]);
    }
    return [...byFamily.values()]
      .map((rows) => this.summary(rows, now))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  /** Signs one of the user's logins out; false when it is not a live login of this user. */
  async revoke(userId: string, familyId: string): Promise<boolean> {
    const live = await this.live(userId);
    if (!live.some((family) => family.id === familyId)) return false;
    await this.tokens.revokeFamily(familyId, userId);
    return true;
  }

  /** Deletes every refresh token of the user: part of an account's erasure. */
  async eraseAll(userId: string, manager: EntityManager): Promise<number> {
    const result = await manager.delete(RefreshToken, { userId });
    return result.affected ?? 0;
  }

  private summary(rows: RefreshToken[], now: number): FamilySummary {
    // The family's latest token is the one not replaced by another (created_at
    // has whole seconds on MySQL: two rotations can share one).
    const newest =
      rows.find((row) => row.replacedBy === null) ??
      rows.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
    const familyEnd = newest.familyStartedAt.getTime() + this.config.sessionMaxAgeSec * 1000;
    const expiresAt = new Date(Math.min(newest.expiresAt.getTime(), familyEnd));
    const revokedAt = rows.find((row) => row.revokedAt)?.revokedAt ?? null;
    return {
      id: newest.familyId,
      createdAt: newest.familyStartedAt,
      lastUsedAt: newest.createdAt,
      expiresAt,
      device: newest.device,
      revokedAt,
      live: !revokedAt && !newest.usedAt && expiresAt.getTime() > now,
    };
  }
}
