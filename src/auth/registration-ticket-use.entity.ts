import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { BYTE_EXACT } from '../common/database/byte-exact';

/**
 * The jti of every registration ticket that has been spent. Stored in the
 * database rather than in memory so a ticket stays single-use when several
 * instances share the load.
 */
@Entity('registration_ticket_uses')
// Housekeeping deletes the records of expired tickets by this, in batches.
@Index('IDX_registration_ticket_uses_expires_at', ['expiresAt'])
export class RegistrationTicketUse {
  @PrimaryColumn({ type: 'varchar', length: 64, collation: BYTE_EXACT })
  jti: string;

  @Column({ name: 'used_at', type: 'datetime' })
  usedAt: Date;

  /** When the ticket itself expires; rows older than this can be purged. */
  @Column({ name: 'expires_at', type: 'datetime' })
  expiresAt: Date;
}
