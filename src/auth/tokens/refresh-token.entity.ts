import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { BYTE_EXACT } from '../../common/database/byte-exact';

/**
 * One refresh token, stored only as a SHA-256 hash. Tokens of one login share
 * a family: rotation adds a child to the family, and reuse of a spent token or
 * a logout revokes the whole family.
 */
@Entity('refresh_tokens')
@Index('UQ_refresh_tokens_token_hash', ['tokenHash'], { unique: true })
@Index('IDX_refresh_tokens_family_id', ['familyId'])
@Index('IDX_refresh_tokens_user_id', ['userId'])
// Housekeeping deletes by these two, in batches.
@Index('IDX_refresh_tokens_expires_at', ['expiresAt'])
@Index('IDX_refresh_tokens_revoked_at', ['revokedAt'])
export class RefreshToken {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  // No foreign key on purpose: the insert at login must not take a lock on
  // the users row that a concurrent login of the same user is updating.
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'family_id', type: 'varchar', length: 36 })
  familyId: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, collation: BYTE_EXACT })
  tokenHash: string;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'datetime' })
  expiresAt: Date;

  /**
   * When it was exchanged for its successor (rotation). Milliseconds, because
   * the refresh grace window is measured from it and is shorter than the
   * second MySQL's plain DATETIME would round to.
   */
  @Column({ name: 'used_at', type: 'datetime', precision: 3, nullable: true })
  usedAt: Date | null;

  /**
   * When the login that started this family happened, copied to every
   * successor: SESSION_MAX_AGE is counted from it, whatever the rotations.
   */
  @Column({ name: 'family_started_at', type: 'datetime' })
  familyStartedAt: Date;

  @Column({ name: 'replaced_by', type: 'varchar', length: 36, nullable: true })
  replacedBy: string | null;

  @Column({ name: 'revoked_at', type: 'datetime', nullable: true })
  revokedAt: Date | null;

  /**
   * What the user sees to recognise the login in their sessions list: a short
   * label parsed from the login's User-Agent (e.g. `WeChat iOS (iPhone)`),
   * copied to every successor. Never the IP.
   */
  @Column({ type: 'varchar', length: 64, nullable: true })
  device: string | null;
}
