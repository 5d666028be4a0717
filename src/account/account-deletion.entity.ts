import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Who asked for a deletion: the user themselves, or an operator. */
export type DeletionRequester = 'self' | 'admin';

/**
 * The one thing kept of a deleted account: that a user id existed and when and
 * by whom it was deleted (an operator answering "what happened to user X", or
 * showing that a deletion request was honoured). Holds no personal data: the
 * id is a random UUID that nothing else refers to any more.
 */
@Entity('account_deletions')
export class AccountDeletionRecord {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'deleted_at', type: 'datetime' })
  deletedAt: Date;

  @Column({ name: 'requested_by', type: 'varchar', length: 16 })
  requestedBy: DeletionRequester;

  /** An operator's reason; none for a self-deletion. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  reason: string | null;
}
