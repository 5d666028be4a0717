import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** What an operator did through the admin API; the look-up shows a user's latest rows. */
export type AdminAction =
  'block' | 'unblock' | 'revoke-sessions' | 'delete-user' | 'refresh-wechat-token';

/**
 * One row per admin action, kept beside the structured log line so the
 * look-up can answer "who blocked this user, when and why" without a log search.
 */
@Entity('admin_audit')
@Index('IDX_admin_audit_target_user', ['targetUserId', 'createdAt'])
export class AdminAudit {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ type: 'varchar', length: 32 })
  action: AdminAction;

  /** The user acted on; null for an action on a mini-program (its AppID is in `target_app_id`). */
  @Column({ name: 'target_user_id', type: 'varchar', length: 36, nullable: true })
  targetUserId: string | null;

  @Column({ name: 'target_app_id', type: 'varchar', length: 64, nullable: true })
  targetAppId: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  reason: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId: string;
}
