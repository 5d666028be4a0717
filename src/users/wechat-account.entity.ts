import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

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

  @Column({ name: 'app_id', type: 'varchar', length: 64 })
  appId: string;

  @Column({ type: 'varchar', length: 64 })
  openid: string;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;
}
