import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RefreshFamilies } from '../auth/tokens/refresh-families';
import { Clock } from '../common/clock';
import { retryOnDeadlock } from '../common/database/deadlock';
import { AccountErasers } from '../users/account-erasers';
import { AccountStanding } from '../users/account-standing';
import { User } from '../users/user.entity';
import { WechatAccount } from '../users/wechat-account.entity';
import { AccountDeletionRecord, DeletionRequester } from './account-deletion.entity';

/** A deletion losing a lock race (InnoDB deadlock) is run again, this many times in all. */
const DELETION_ATTEMPTS = 5;

export interface DeletionRequest {
  requestedBy: DeletionRequester;
  /** An operator's reason, kept in the deletion record and the log. */
  reason?: string;
}

/**
 * Deletes an account (注销): the user's row (phone, nickname, avatar URL,
 * unionid), their WeChat bindings, every refresh token, and whatever the
 * registered AccountErasers hold (avatar images), in one transaction; only an
 * anonymised AccountDeletionRecord stays. The row is deleted rather than
 * marked, so every path that looks the user up (the access guard, refresh,
 * silent login, phone login) already answers as for a stranger, and the phone
 * and the openid are free for a new registration.
 */
@Injectable()
export class AccountDeletion {
  private readonly logger = new Logger(AccountDeletion.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly families: RefreshFamilies,
    private readonly erasers: AccountErasers,
    private readonly standing: AccountStanding,
    private readonly clock: Clock,
  ) {}

  /**
   * False when there is no such user (already deleted: a second request is
   * harmless). Access tokens of the user are refused at once on this
   * instance and within AccountStanding's TTL on every other one.
   */
  async deleteUser(userId: string, request: DeletionRequest): Promise<boolean> {
    const erased = await retryOnDeadlock(
      () =>
        this.dataSource.transaction(async (manager) => {
          const user = await manager.findOneBy(User, { id: userId });
          if (!user) return undefined;
          for (const eraser of this.erasers.all) await eraser.eraseUser(userId, manager);
          const bindings = await manager.delete(WechatAccount, { userId });
          const tokens = await this.families.eraseAll(userId, manager);
          await manager.delete(User, { id: userId });
          await manager.insert(AccountDeletionRecord, {
            userId,
            deletedAt: new Date(this.clock.now()),
            requestedBy: request.requestedBy,
            reason: request.reason?.slice(0, 200) ?? null,
          });
          return { bindings: bindings.affected ?? 0, tokens };
        }),
      { attempts: DELETION_ATTEMPTS },
    );
    this.standing.forget(userId);
    if (!erased) return false;
    // A rotation that read the user just before the deletion committed may
    // have stored a successor since; it would be refused (its user is gone),
    // but nothing of the account is meant to stay.
    await this.families.eraseAll(userId, this.dataSource.manager);
    this.logger.log(
      `Account ${userId} deleted (requested by ${request.requestedBy}` +
        `${request.reason ? `: ${request.reason}` : ''}): ${erased.bindings} WeChat binding(s), ` +
        `${erased.tokens} refresh token(s)` +
        this.erasers.all.map((eraser) => `, ${eraser.erasedData}`).join('') +
        ' erased',
    );
    return true;
  }
}
