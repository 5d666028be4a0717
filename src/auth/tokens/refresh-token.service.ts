import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { AppError } from '../../common/app-error';
import { blocked } from '../../users/account-standing';
import { Clock } from '../../common/clock';
import { jwtConfig } from '../../config/jwt.config';
import { retryOnDeadlock } from '../../common/database/deadlock';
import { RefreshToken } from './refresh-token.entity';
import { RefreshTokenRepository, RevocationScope } from './refresh-token.repository';

/**
 * Two refreshes of the same token this close together are one client racing
 * itself (a double tap, a request retried after a lost answer), not a thief:
 * both get the same successor instead of killing the session. Every such
 * replay is logged. The README has the measured spread this window covers.
 */
export const REFRESH_REUSE_GRACE_MS = 2_000;

/** A rotation chosen as a deadlock victim is run again, this many times in all. */
const ROTATION_ATTEMPTS = 5;
/** A revocation must stick: deadlock victims are retried longer than rotations. */
const REVOCATION_ATTEMPTS = 8;
/** Passes of the revoking UPDATE before giving up on a family that keeps growing. */
const REVOCATION_PASSES = 10;

const TOKEN_FORMAT = /^rt_[\w-]{43}$/;

export interface IssuedRefreshToken {
  refreshToken: string;
  userId: string;
  familyId: string;
}

type Rotation =
  | { kind: 'rotated'; issued: IssuedRefreshToken }
  | { kind: 'replayed'; issued: IssuedRefreshToken; sinceFirstUseMs: number }
  | { kind: 'reused' | 'orphaned'; row: RefreshToken };

/**
 * Opaque refresh tokens (256 random bits) stored only as SHA-256 hashes, with
 * rotation and reuse detection in the manner of GoTrue and Auth0: each refresh
 * spends the token and issues its successor; presenting a spent token again
 * (after the grace window) revokes the whole family. A family lives at most
 * SESSION_MAX_AGE from its login, and dies with its user.
 */
@Injectable()
export class RefreshTokenService {
  private readonly logger = new Logger(RefreshTokenService.name);

  constructor(
    private readonly rows: RefreshTokenRepository,
    private readonly clock: Clock,
    @Inject(jwtConfig.KEY) private readonly config: ConfigType<typeof jwtConfig>,
  ) {}

  /** A new family: one per login. */
  async issue(userId: string): Promise<IssuedRefreshToken> {
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    const familyId = randomUUID();
    await this.rows.insert(this.newRow(refreshToken, userId, familyId, new Date(this.clock.now())));
    return { refreshToken, userId, familyId };
  }

  async rotate(refreshToken: string): Promise<IssuedRefreshToken> {
    if (!TOKEN_FORMAT.test(refreshToken)) {
      throw new AppError('REFRESH_TOKEN_INVALID', 'This is not a refresh token');
    }
    const rotation = await retryOnDeadlock(
      () => this.rows.inTransaction((manager) => this.rotateInTransaction(manager, refreshToken)),
      {
        attempts: ROTATION_ATTEMPTS,
        onRetry: (attempt) => this.logger.debug(`Refresh rotation deadlocked (try ${attempt})`),
      },
    );
    switch (rotation.kind) {
      case 'rotated':
        return rotation.issued;
      case 'replayed':
        this.logger.warn(
          `Refresh token of family ${rotation.issued.familyId} (user ${rotation.issued.userId}) ` +
            `replayed ${rotation.sinceFirstUseMs} ms after its first use, inside the ` +
            `${REFRESH_REUSE_GRACE_MS} ms grace window: the same successor was handed out again`,
        );
        return rotation.issued;
      case 'orphaned':
        // Revoked outside the rotation's transaction, so it sticks.
        await this.revokeFailingClosed(rotation.row, 'its user no longer exists');
        throw new AppError('REFRESH_TOKEN_INVALID', 'This refresh token is unknown or revoked');
      case 'reused':
        await this.revokeFailingClosed(rotation.row, 'a spent refresh token was presented again');
        throw new AppError(
          'REFRESH_TOKEN_REUSED',
          'This refresh token was already used; the session is revoked, log in again',
        );
    }
  }

  async revokeFamily(familyId: string, userId?: string): Promise<void> {
    await this.revokeUntilItSticks({ familyId, ...(userId ? { userId } : {}) });
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.revokeUntilItSticks({ userId });
  }

  /**
   * A reuse (or a vanished user) must end the family even when the
   * revocation keeps losing lock races: it is retried, and if it still
   * cannot be written the client is refused all the same and the log says so.
   */
  private async revokeFailingClosed(row: RefreshToken, why: string): Promise<void> {
    try {
      await this.revokeFamily(row.familyId);
      this.logger.warn(`Family ${row.familyId} of user ${row.userId} revoked: ${why}`);
    } catch (error) {
      this.logger.error(
        `Family ${row.familyId} of user ${row.userId} could NOT be revoked (${why}): ${String(error)}`,
      );
    }
  }

  /**
   * A rotation racing the revocation may commit a successor the UPDATE did
   * not see; each pass revokes what is live, until a pass finds nothing. A
   * rotation in flight holds its (live) parent, so a pass that changes
   * nothing proves none is left and none can start.
   */
  private async revokeUntilItSticks(scope: RevocationScope): Promise<void> {
    for (let pass = 0; pass < REVOCATION_PASSES; pass++) {
      const revokedAt = new Date(this.clock.now());
      const revoked = await retryOnDeadlock(
        () => this.rows.inTransaction((manager) => this.rows.revokeLive(manager, scope, revokedAt)),
        { attempts: REVOCATION_ATTEMPTS },
      );
      if (revoked === 0) return;
    }
    throw new Error(`Refresh tokens still live after ${REVOCATION_PASSES} revocation passes`);
  }

  private async rotateInTransaction(
    manager: EntityManager,
    refreshToken: string,
  ): Promise<Rotation> {
    const row = await this.rows.findForRotation(manager, hash(refreshToken));
    if (!row || row.revokedAt) {
      throw new AppError('REFRESH_TOKEN_INVALID', 'This refresh token is unknown or revoked');
    }
    const now = this.clock.now();
    if (row.expiresAt.getTime() <= now || this.familyEnd(row) <= now) {
      throw new AppError('REFRESH_TOKEN_EXPIRED', 'This refresh token has expired; log in again');
    }
    const standing = await this.rows.userStanding(manager, row.userId);
    if (standing === 'gone') return { kind: 'orphaned', row };
    // Nothing is spent: the session works again once the user is unblocked.
    if (standing === 'blocked') throw blocked();
    const successor = this.successorOf(refreshToken);
    const issued = { refreshToken: successor, userId: row.userId, familyId: row.familyId };
    if (row.usedAt) {
      const sinceFirstUseMs = now - row.usedAt.getTime();
      if (sinceFirstUseMs > REFRESH_REUSE_GRACE_MS) return { kind: 'reused', row };
      const child = await this.rows.findByHash(manager, hash(successor));
      if (!child || child.revokedAt) return { kind: 'reused', row };
      return { kind: 'replayed', issued, sinceFirstUseMs };
    }
    const child = this.newRow(successor, row.userId, row.familyId, row.familyStartedAt);
    await this.rows.markUsed(manager, row.id, { usedAt: new Date(now), replacedBy: child.id });
    await this.rows.insert(child, manager);
    return { kind: 'rotated', issued };
  }

  /** The family's absolute end: its login plus SESSION_MAX_AGE, whatever the rotations. */
  private familyEnd(row: Pick<RefreshToken, 'familyStartedAt'>): number {
    return row.familyStartedAt.getTime() + this.config.sessionMaxAgeSec * 1000;
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

  private newRow(
    refreshToken: string,
    userId: string,
    familyId: string,
    familyStartedAt: Date,
  ): RefreshToken {
    const now = this.clock.now();
    const idleEnd = now + this.config.refreshTtlSec * 1000;
    return this.rows.build({
      id: randomUUID(),
      userId,
      familyId,
      tokenHash: hash(refreshToken),
      createdAt: new Date(now),
      // Rotation renews the idle lifetime, never past the family's absolute end.
      expiresAt: new Date(Math.min(idleEnd, this.familyEnd({ familyStartedAt }))),
      familyStartedAt,
      usedAt: null,
      replacedBy: null,
      revokedAt: null,
    });
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
