import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { BYTE_EXACT } from '../common/database/byte-exact';

/**
 * One person, keyed by the phone number WeChat verified. Column types are
 * spelled out so the same migration matches the entity on SQLite and MySQL.
 */
@Entity('users')
@Index('UQ_users_phone_number', ['phoneNumber'], { unique: true })
// One user per unionid: silent login by unionid finds at most one user.
@Index('UQ_users_unionid', ['unionid'], { unique: true })
export class User {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** E.164, e.g. `+8613800138000`. */
  @Column({ name: 'phone_number', type: 'varchar', length: 24 })
  phoneNumber: string;

  /** Without the `+`, e.g. `86`. */
  @Column({ name: 'country_code', type: 'varchar', length: 8 })
  countryCode: string;

  /** The national number, e.g. `13800138000`. */
  @Column({ name: 'pure_phone_number', type: 'varchar', length: 20 })
  purePhoneNumber: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  nickname: string | null;

  @Column({ name: 'avatar_url', type: 'varchar', length: 512, nullable: true })
  avatarUrl: string | null;

  /** Shared by every mini-program of one WeChat Open Platform account, when WeChat tells it. */
  @Column({ type: 'varchar', length: 64, nullable: true, collation: BYTE_EXACT })
  unionid: string | null;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime' })
  updatedAt: Date;

  @Column({ name: 'last_login_at', type: 'datetime', nullable: true })
  lastLoginAt: Date | null;

  /** Set by an operator: the user can neither log in nor use a token until unblocked. */
  @Column({ name: 'blocked_at', type: 'datetime', nullable: true })
  blockedAt: Date | null;

  @Column({ name: 'blocked_reason', type: 'varchar', length: 200, nullable: true })
  blockedReason: string | null;
}
