import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Repository } from 'typeorm';
import { AppError } from '../../common/app-error';
import { Clock } from '../../common/clock';
import { jwtConfig } from '../../config/jwt.config';
import { LeanStatements } from '../../database/lean-statements';
import { RefreshToken } from './refresh-token.entity';

/**
 * Two refreshes of the same token this close together are one client racing
 * itself (two tabs, a retried request), not a thief: both get the same
 * successor instead of killing the session.
 */
export const REFRESH_REUSE_GRACE_MS = 10_000;

const TOKEN_FORMAT = /^rt_[\w-]{43}$/;

export interface IssuedRefreshToken {
  refreshToken: string;
  userId: string;
  familyId: string;
}

type Rotation =
  { kind: 'rotated'; issued: IssuedRefreshToken } | { kind: 'reused'; row: RefreshToken };

/**
 * Opaque refresh tokens (256 random bits) stored only as SHA-256 hashes, with
 * rotation and reuse detection in the manner of GoTrue and Auth0: each refresh
 * spends the token and issues its successor; presenting a spent token again
 * (after the grace window) revokes the whole family.
 */
@Injectable()
export class RefreshTokenService {
  private readonly logger = new Logger(RefreshTokenService.name);
  /** The login's insert as fixed SQL (see LeanStatements). */
  private readonly lean: LeanStatements<RefreshToken>;

  constructor(
    @InjectRepository(RefreshToken) private readonly rows: Repository<RefreshToken>,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(jwtConfig.KEY) private readonly config: ConfigType<typeof jwtConfig>,
  ) {
    this.lean = new LeanStatements(rows);
  }

  /** A new family: one per login. */
  async issue(userId: string): Promise<IssuedRefreshToken> {
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    const familyId = randomUUID();
    await this.lean.insert(this.newRow(refreshToken, userId, familyId));
    return { refreshToken, userId, familyId };
  }

  async rotate(refreshToken: string): Promise<IssuedRefreshToken> {
    if (!TOKEN_FORMAT.test(refreshToken)) {
      throw new AppError('REFRESH_TOKEN_INVALID', 'This is not a refresh token');
    }
    const rotation = await this.dataSource.transaction((manager) =>
      this.rotateInTransaction(manager, refreshToken),
    );
    if (rotation.kind === 'rotated') return rotation.issued;
    // Revoked outside the failed rotation's transaction, so it sticks.
    await this.revokeFamily(rotation.row.familyId);
    this.logger.warn(
      `Spent refresh token presented again: family ${rotation.row.familyId} of user ${rotation.row.userId} revoked`,
    );
    throw new AppError(
      'REFRESH_TOKEN_REUSED',
      'This refresh token was already used; the session is revoked, log in again',
    );
  }

  async revokeFamily(familyId: string, userId?: string): Promise<void> {
    await this.rows.update(
      { familyId, revokedAt: IsNull(), ...(userId ? { userId } : {}) },
      { revokedAt: new Date(this.clock.now()) },
    );
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.rows.update(
      { userId, revokedAt: IsNull() },
      { revokedAt: new Date(this.clock.now()) },
    );
  }

  private async rotateInTransaction(
    manager: EntityManager,
    refreshToken: string,
  ): Promise<Rotation> {
    // On MySQL the row lock makes a concurrent rotation of the same token wait
    // for this one and then see it spent; SQLite serialises transactions anyway.
    const locking = ['mysql', 'mariadb'].includes(manager.connection.options.type);
    const row = await manager.findOne(RefreshToken, {
      where: { tokenHash: hash(refreshToken) },
      ...(locking ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!row || row.revokedAt) {
      throw new AppError('REFRESH_TOKEN_INVALID', 'This refresh token is unknown or revoked');
    }
    const now = this.clock.now();
    if (row.expiresAt.getTime() <= now) {
      throw new AppError('REFRESH_TOKEN_EXPIRED', 'This refresh token has expired; log in again');
    }
    const successor = this.successorOf(refreshToken);
    if (row.usedAt) {
      if (now - row.usedAt.getTime() > REFRESH_REUSE_GRACE_MS) return { kind: 'reused', row };
      const child = await manager.findOneBy(RefreshToken, { tokenHash: hash(successor) });
      if (!child || child.revokedAt) return { kind: 'reused', row };
      return {
        kind: 'rotated',
        issued: { refreshToken: successor, userId: row.userId, familyId: row.familyId },
      };
    }
    const child = this.newRow(successor, row.userId, row.familyId);
    await manager.update(
      RefreshToken,
      { id: row.id },
      { usedAt: new Date(now), replacedBy: child.id },
    );
    await manager.insert(RefreshToken, child);
    return {
      kind: 'rotated',
      issued: { refreshToken: successor, userId: row.userId, familyId: row.familyId },
    };
  }

  /**
   * The successor is derived from the spent token with a keyed hash, so a
   * racing duplicate refresh inside the grace window can be answered with the
   * same successor without ever storing a token in clear.
   */
  private successorOf(refreshToken: string): string {
    const mac = createHmac('sha256', this.config.secret).update(`rotate:${refreshToken}`);
    return `rt_${mac.digest('base64url')}`;
  }

  private newRow(refreshToken: string, userId: string, familyId: string): RefreshToken {
    const now = this.clock.now();
    return this.rows.create({
      id: randomUUID(),
      userId,
      familyId,
      tokenHash: hash(refreshToken),
      createdAt: new Date(now),
      expiresAt: new Date(now + this.config.refreshTtlSec * 1000),
      usedAt: null,
      replacedBy: null,
      revokedAt: null,
    });
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
