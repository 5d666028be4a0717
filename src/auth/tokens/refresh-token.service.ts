import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, IsNull, Repository } from 'typeorm';
import { AppError } from '../../common/app-error';
import { Clock } from '../../common/clock';
import { jwtConfig } from '../../config/jwt.config';
import { retryOnDeadlock } from '../../database/deadlock';
import { LeanStatements } from '../../database/lean-statements';
import { User } from '../../users/user.entity';
import { RefreshToken } from './refresh-token.entity';

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
  /** The login's insert as fixed SQL (see LeanStatements). */
  private readonly lean: LeanStatements<RefreshToken>;
  private readonly isMysql: boolean;

  constructor(
    @InjectRepository(RefreshToken) private readonly rows: Repository<RefreshToken>,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(jwtConfig.KEY) private readonly config: ConfigType<typeof jwtConfig>,
  ) {
    this.lean = new LeanStatements(rows);
    this.isMysql = ['mysql', 'mariadb'].includes(dataSource.options.type);
  }

  /** A new family: one per login. */
  async issue(userId: string): Promise<IssuedRefreshToken> {
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    const familyId = randomUUID();
    await this.lean.insert(this.newRow(refreshToken, userId, familyId, new Date(this.clock.now())));
    return { refreshToken, userId, familyId };
  }

  async rotate(refreshToken: string): Promise<IssuedRefreshToken> {
    if (!TOKEN_FORMAT.test(refreshToken)) {
      throw new AppError('REFRESH_TOKEN_INVALID', 'This is not a refresh token');
    }
    const rotation = await retryOnDeadlock(
      () => this.inTransaction((manager) => this.rotateInTransaction(manager, refreshToken)),
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
  private async revokeUntilItSticks(where: FindOptionsWhere<RefreshToken>): Promise<void> {
    for (let pass = 0; pass < REVOCATION_PASSES; pass++) {
      const revokedAt = new Date(this.clock.now());
      const result = await retryOnDeadlock(
        () =>
          this.inTransaction((manager) =>
            manager.update(RefreshToken, { ...where, revokedAt: IsNull() }, { revokedAt }),
          ),
        { attempts: REVOCATION_ATTEMPTS },
      );
      if (!result.affected) return;
    }
    throw new Error(`Refresh tokens still live after ${REVOCATION_PASSES} revocation passes`);
  }

  /**
   * On MySQL in READ COMMITTED: locking reads then take no gap locks, so the
   * racers waiting for a token's row do not block the winner's insert of the
   * successor (under REPEATABLE READ that cycle is InnoDB's deadlock), and a
   * waiter that wakes up reads the successor its winner committed.
   */
  private inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.isMysql
      ? this.dataSource.transaction('READ COMMITTED', work)
      : this.dataSource.transaction(work);
  }

  private async rotateInTransaction(
    manager: EntityManager,
    refreshToken: string,
  ): Promise<Rotation> {
    // On MySQL the row lock makes a concurrent rotation of the same token wait
    // for this one and then see it spent; SQLite serialises transactions anyway.
    const row = await manager.findOne(RefreshToken, {
      where: { tokenHash: hash(refreshToken) },
      ...(this.isMysql ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!row || row.revokedAt) {
      throw new AppError('REFRESH_TOKEN_INVALID', 'This refresh token is unknown or revoked');
    }
    const now = this.clock.now();
    if (row.expiresAt.getTime() <= now || this.familyEnd(row) <= now) {
      throw new AppError('REFRESH_TOKEN_EXPIRED', 'This refresh token has expired; log in again');
    }
    if (!(await manager.existsBy(User, { id: row.userId }))) return { kind: 'orphaned', row };
    const successor = this.successorOf(refreshToken);
    const issued = { refreshToken: successor, userId: row.userId, familyId: row.familyId };
    if (row.usedAt) {
      const sinceFirstUseMs = now - row.usedAt.getTime();
      if (sinceFirstUseMs > REFRESH_REUSE_GRACE_MS) return { kind: 'reused', row };
      const child = await manager.findOneBy(RefreshToken, { tokenHash: hash(successor) });
      if (!child || child.revokedAt) return { kind: 'reused', row };
      return { kind: 'replayed', issued, sinceFirstUseMs };
    }
    const child = this.newRow(successor, row.userId, row.familyId, row.familyStartedAt);
    await manager.update(
      RefreshToken,
      { id: row.id },
      { usedAt: new Date(now), replacedBy: child.id },
    );
    await manager.insert(RefreshToken, child);
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
    return this.rows.create({
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
