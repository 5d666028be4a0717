import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';
import { BYTE_EXACT } from '../common/database/byte-exact';

/** Epoch milliseconds in a BIGINT: exact on both databases, and comparable in SQL. */
const epochMs: ValueTransformer = {
  to: (value: number | null) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/**
 * The one live WeChat access token of an app, shared by every instance, and
 * the lease that lets exactly one instance fetch a new one at a time (see
 * "Several instances: one token for all" in the README).
 */
@Entity('wechat_access_tokens')
export class WechatAccessToken {
  /** `<appid>:<mode>`. */
  @PrimaryColumn({ name: 'app_key', type: 'varchar', length: 96, collation: BYTE_EXACT })
  appKey: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  token: string | null;

  @Column({ name: 'expires_at', type: 'bigint', nullable: true, transformer: epochMs })
  expiresAt: number | null;

  /** Which instance fetched the token, and why: for the operator reading the table. */
  @Column({ name: 'fetched_by', type: 'varchar', length: 255, nullable: true })
  fetchedBy: string | null;

  @Column({ name: 'lease_holder', type: 'varchar', length: 128, nullable: true })
  leaseHolder: string | null;

  @Column({ name: 'lease_until', type: 'bigint', nullable: true, transformer: epochMs })
  leaseUntil: number | null;

  /** The last stable_token force_refresh, by any instance: WeChat wants ≥ 30 s between two. */
  @Column({ name: 'force_refreshed_at', type: 'bigint', nullable: true, transformer: epochMs })
  forceRefreshedAt: number | null;

  /** The day (China time, when WeChat's daily limits reset) `forceRefreshCount` counts. */
  @Column({ name: 'force_refresh_day', type: 'integer', nullable: true })
  forceRefreshDay: number | null;

  /** force_refresh calls on `forceRefreshDay`: WeChat allows 20 a day. */
  @Column({ name: 'force_refresh_count', type: 'integer', default: 0 })
  forceRefreshCount: number;
}
