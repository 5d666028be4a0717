import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

/** Epoch milliseconds in a BIGINT: exact on both databases, and comparable in SQL. */
const epochMs: ValueTransformer = {
  to: (value: number | null) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/**
 * Who runs a scheduled job right now: one row per job, taken with a
 * conditional UPDATE like the WeChat token's lease, so N instances run a
 * database-wide job once, not N times.
 */
@Entity('job_leases')
export class JobLeaseRow {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  holder: string | null;

  @Column({ name: 'lease_until', type: 'bigint', nullable: true, transformer: epochMs })
  leaseUntil: number | null;
}
