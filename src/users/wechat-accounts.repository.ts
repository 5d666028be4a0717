import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { WechatAccount } from './wechat-account.entity';

/**
 * Every read and write of the `wechat_accounts` table. The lookups stand
 * alone; a change of bindings runs inside inTransaction(), with the manager
 * it hands out, so the user row and the bindings change together.
 */
@Injectable()
export class WechatAccountsRepository {
  constructor(@InjectRepository(WechatAccount) private readonly rows: Repository<WechatAccount>) {}

  /** The binding of this openid in this mini-program. */
  findByOpenid(appId: string, openid: string): Promise<WechatAccount | null> {
    return this.rows.findOneBy({ appId, openid });
  }

  /** The user's binding in this mini-program. */
  findForUser(userId: string, appId: string): Promise<WechatAccount | null> {
    return this.rows.findOneBy({ userId, appId });
  }

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.rows.manager.transaction(work);
  }

  /** Every binding of the user, in every mini-program. */
  findAllForUser(manager: EntityManager, userId: string): Promise<WechatAccount[]> {
    return manager.findBy(WechatAccount, { userId });
  }

  async remove(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length > 0) await manager.delete(WechatAccount, ids);
  }

  async insert(manager: EntityManager, row: WechatAccount): Promise<void> {
    await manager.insert(WechatAccount, row);
  }
}
