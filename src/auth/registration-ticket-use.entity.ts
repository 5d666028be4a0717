import { Column, Entity, PrimaryColumn } from 'typeorm';
import { BYTE_EXACT } from '../common/database/byte-exact';

/**
 * The jti of every registration ticket that has been spent. Stored in the
 * database rather than in memory so a ticket stays single-use when several
 * instances share the load.
 */
@Entity('registration_ticket_uses')
export class RegistrationTicketUse {
  @PrimaryColumn({ type: 'varchar', length: 64, collation: BYTE_EXACT })
  jti: string;

  @Column({ name: 'used_at', type: 'datetime' })
  usedAt: Date;

  /** When the ticket itself expires; rows older than this can be purged. */
  @Column({ name: 'expires_at', type: 'datetime' })
  expiresAt: Date;
}
