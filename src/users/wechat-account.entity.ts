import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { BYTE_EXACT } from '../common/database/byte-exact';

/**
 * A user's WeChat account in one mini-program: openids are per app, so a user
 * of two mini-programs has two rows. Silent login looks the openid up here.
 */
@Entity('wechat_accounts')
@Index('UQ_wechat_accounts_app_openid', ['appId', 'openid'], { unique: true })
@Index('UQ_wechat_accounts_user_app', ['userId', 'appId'], { unique: true })
export class WechatAccount {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'app_id', type: 'varchar', length: 64, collation: BYTE_EXACT })
  appId: string;

  @Column({ type: 'varchar', length: 64, collation: BYTE_EXACT })
  openid: string;

  /**
   * The unionid WeChat gave with this openid, when it gave one: which WeChat
   * account the binding belongs to, across apps.
   */
  @Column({ type: 'varchar', length: 64, nullable: true, collation: BYTE_EXACT })
  unionid: string | null;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;
}
