import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { RefreshFamilies } from '../auth/tokens/refresh-families';
import { RefreshTokenService } from '../auth/tokens/refresh-token.service';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { AccountStanding } from '../users/account-standing';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { WechatAccount } from '../users/wechat-account.entity';
import { AccountDeletion } from '../account/account-deletion.service';
import { AdminAuditLog } from './admin-audit.log';
import { AdminUserDto, UserLookupQuery } from './admin.dto';

/** `13800138000` (mainland China, as the phone button gives it) or E.164 `+8613800138000`. */
export function phoneToE164(phone: string): string {
  return phone.startsWith('+') ? phone : `+86${phone}`;
}

/**
 * What the operator does to users. Every change is followed by
 * AccountStanding.forget() (this instance answers at once; the others within
 * its 2 s) and one audit record.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(WechatAccount) private readonly accounts: Repository<WechatAccount>,
    private readonly usersService: UsersService,
    private readonly families: RefreshFamilies,
    private readonly sessions: RefreshTokenService,
    private readonly deletion: AccountDeletion,
    private readonly standing: AccountStanding,
    private readonly audit: AdminAuditLog,
    private readonly clock: Clock,
  ) {}

  async lookUp(query: UserLookupQuery): Promise<AdminUserDto[]> {
    const given = (['phone', 'openid', 'unionid', 'id'] as const).filter((k) => query[k]);
    if (given.length !== 1) {
      throw new AppError('VALIDATION_FAILED', 'Give exactly one of phone, openid, unionid, id');
    }
    const found = await this.find(query);
    return Promise.all(found.map((user) => this.view(user)));
  }

  async block(userId: string, reason: string, requestId: string): Promise<void> {
    await this.change(userId, { blockedAt: new Date(this.clock.now()), blockedReason: reason });
    await this.audit.record({ action: 'block', targetUserId: userId, reason, requestId });
  }

  async unblock(userId: string, reason: string | undefined, requestId: string): Promise<void> {
    await this.change(userId, { blockedAt: null, blockedReason: null });
    await this.audit.record({ action: 'unblock', targetUserId: userId, reason, requestId });
  }

  async revokeSessions(
    userId: string,
    reason: string | undefined,
    requestId: string,
  ): Promise<void> {
    await this.requireUser(userId);
    await this.sessions.revokeAllForUser(userId);
    await this.audit.record({ action: 'revoke-sessions', targetUserId: userId, reason, requestId });
  }

  async delete(userId: string, reason: string | undefined, requestId: string): Promise<void> {
    const deleted = await this.deletion.deleteUser(userId, { requestedBy: 'admin', reason });
    if (!deleted) throw notFound();
    await this.audit.record({ action: 'delete-user', targetUserId: userId, reason, requestId });
  }

  private async change(userId: string, changes: Partial<User>): Promise<void> {
    const result = await this.users.update({ id: userId }, changes);
    if ((result.affected ?? 0) === 0) throw notFound();
    this.standing.forget(userId);
  }

  private async requireUser(userId: string): Promise<void> {
    if (!(await this.users.existsBy({ id: userId }))) throw notFound();
  }

  private async find(query: UserLookupQuery): Promise<User[]> {
    if (query.phone) return this.users.findBy({ phoneNumber: phoneToE164(query.phone) });
    if (query.id) return this.users.findBy({ id: query.id });
    const bound = await this.accounts.findBy(
      query.openid ? { openid: query.openid } : { unionid: query.unionid },
    );
    const ids = new Set(bound.map((account) => account.userId));
    if (query.unionid) {
      for (const user of await this.users.findBy({ unionid: query.unionid })) ids.add(user.id);
    }
    return ids.size === 0 ? [] : this.users.findBy({ id: In([...ids]) });
  }

  private async view(user: User): Promise<AdminUserDto> {
    const [accounts, liveSessions, audit] = await Promise.all([
      this.usersService.wechatAccountsOf(user.id),
      this.families.live(user.id),
      this.audit.latestFor(user.id),
    ]);
    return {
      id: user.id,
      phoneNumber: user.phoneNumber,
      nickname: user.nickname,
      createdAt: user.createdAt.toISOString(),
      lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
      blocked: user.blockedAt !== null,
      blockedAt: user.blockedAt?.toISOString() ?? null,
      blockedReason: user.blockedReason,
      wechatAccounts: accounts.map(({ appId, openid, unionid }) => ({ appId, openid, unionid })),
      liveSessions: liveSessions.length,
      audit: audit.map((row) => ({
        at: row.createdAt.toISOString(),
        action: row.action,
        reason: row.reason,
        requestId: row.requestId,
      })),
    };
  }
}

function notFound(): AppError {
  return new AppError('USER_NOT_FOUND', 'No user has this id');
}
