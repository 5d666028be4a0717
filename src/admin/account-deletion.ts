import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RefreshToken } from '../auth/tokens/refresh-token.entity';
import { AccountStanding } from '../users/account-standing';
import { User } from '../users/user.entity';
import { WechatAccount } from '../users/wechat-account.entity';

/**
 * What DELETE /admin/users/{id} calls: the same deletion a user asks for with
 * DELETE /users/me. An abstract class, so it is its own injection token: the
 * account-lifecycle feature provides the real one (`{ provide: AccountDeletion,
 * useExisting: … }` in AdminModule).
 */
export abstract class AccountDeletion {
  /** Erases the user's personal data and ends every session; false when no such user exists. */
  abstract deleteAccount(userId: string): Promise<boolean>;
}

/**
 * INTERIM, until the account-lifecycle deletion is wired in its place: removes
 * the user's row, WeChat bindings and refresh tokens in one transaction, so
 * the phone can register again, the openid no longer logs in and refresh
 * tokens are refused; access tokens are refused (401) once AccountStanding's
 * cache has expired on every instance (2 s). It does not erase avatars or
 * anything stored outside these three tables.
 */
@Injectable()
export class InterimAccountDeletion extends AccountDeletion {
  constructor(
    private readonly dataSource: DataSource,
    private readonly standing: AccountStanding,
  ) {
    super();
  }

  async deleteAccount(userId: string): Promise<boolean> {
    const deleted = await this.dataSource.transaction(async (manager) => {
      await manager.delete(RefreshToken, { userId });
      await manager.delete(WechatAccount, { userId });
      const result = await manager.delete(User, { id: userId });
      return (result.affected ?? 0) > 0;
    });
    this.standing.forget(userId);
    return deleted;
  }
}
