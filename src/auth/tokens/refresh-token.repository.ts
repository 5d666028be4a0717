import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Repository } from 'typeorm';
import { PrebuiltSql } from '../../common/database/prebuilt-sql';
import { Standing, standingOf } from '../../users/account-standing';
import { User } from '../../users/user.entity';
import { RefreshToken } from './refresh-token.entity';

/** Whose live tokens a revocation ends: one family (of one user), or all of a user's. */
export type RevocationScope = { familyId: string; userId?: string } | { userId: string };

/**
 * Every read and write of the `refresh_tokens` table. The login's insert is
 * fixed SQL built once (see PrebuiltSql); the rotation's reads and writes run
 * inside inTransaction(), with the manager it hands out.
 */
@Injectable()
export class RefreshTokenRepository {
  private readonly sql: PrebuiltSql<RefreshToken>;
  private readonly isMysql: boolean;

  constructor(
    @InjectRepository(RefreshToken) private readonly rows: Repository<RefreshToken>,
    private readonly dataSource: DataSource,
  ) {
    this.sql = new PrebuiltSql(rows);
    this.isMysql = ['mysql', 'mariadb'].includes(dataSource.options.type);
  }

  /** A RefreshToken instance (not yet stored) with exactly these values. */
  build(values: RefreshToken): RefreshToken {
    return this.rows.create(values);
  }

  /** Inside the caller's transaction when given its manager. */
  insert(row: RefreshToken, manager?: EntityManager): Promise<void> {
    return this.sql.insert(row, manager);
  }

  /**
   * On MySQL in READ COMMITTED: locking reads then take no gap locks, so the
   * racers waiting for a token's row do not block the winner's insert of the
   * successor (under REPEATABLE READ that cycle is InnoDB's deadlock), and a
   * waiter that wakes up reads the successor its winner committed.
   */
  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.isMysql
      ? this.dataSource.transaction('READ COMMITTED', work)
      : this.dataSource.transaction(work);
  }

  /**
   * The token about to be rotated. On MySQL the row lock makes a concurrent
   * rotation of the same token wait for this one and then see it spent;
   * SQLite serialises transactions anyway.
   */
  findForRotation(manager: EntityManager, tokenHash: string): Promise<RefreshToken | null> {
    return manager.findOne(RefreshToken, {
      where: { tokenHash },
      ...(this.isMysql ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  findByHash(manager: EntityManager, tokenHash: string): Promise<RefreshToken | null> {
    return manager.findOneBy(RefreshToken, { tokenHash });
  }

  /** Whether the token's user still exists (a deleted user's families die with it) and is blocked. */
  async userStanding(manager: EntityManager, userId: string): Promise<Standing> {
    return standingOf(
      await manager.findOne(User, { where: { id: userId }, select: { id: true, blockedAt: true } }),
    );
  }

  async markUsed(
    manager: EntityManager,
    id: string,
    change: { usedAt: Date; replacedBy: string },
  ): Promise<void> {
    await manager.update(RefreshToken, { id }, change);
  }

  /** Revokes the live tokens in scope; how many it revoked. */
  async revokeLive(
    manager: EntityManager,
    scope: RevocationScope,
    revokedAt: Date,
  ): Promise<number> {
    const result = await manager.update(
      RefreshToken,
      { ...scope, revokedAt: IsNull() },
      { revokedAt },
    );
    return result.affected ?? 0;
  }
}
