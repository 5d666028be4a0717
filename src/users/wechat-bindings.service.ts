import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { isDeadlock } from '../common/database/deadlock';
import { isUniqueViolation } from '../common/database/unique-violation';
import type { WechatIdentity } from '../wechat/wechat-identity';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';
import { WechatAccountsRepository } from './wechat-accounts.repository';

/**
 * What vouches for a binding: a phone proof (a getPhoneNumber code, or the
 * registration ticket that carries one), or a silent login that found the
 * user by this openid or by its unionid.
 */
export type BindingProof = 'phone' | 'wechat';

/** How a binding came out; `reason` says why it was skipped, for the log. */
export type BindingOutcome =
  { bound: true; user: User } | { bound: false; user: User; reason: string };

/**
 * Binds WeChat accounts (an openid per mini-program, and the unionid shared by
 * the mini-programs of one Open Platform account) to users, by these rules:
 * - a binding is never moved from one user to another: an openid or a unionid
 *   that belongs to someone else is skipped, never taken over;
 * - one user per unionid (the unique index on users.unionid is the arbiter
 *   when two bindings race);
 * - the latest phone proof owns the account: a phone proven from a WeChat
 *   account with another unionid (a recycled number, or the same person on a
 *   new WeChat account) removes the old account's bindings in every app, in
 *   one transaction, so the old account must prove the phone again.
 */
@Injectable()
export class WechatBindingsService {
  private readonly logger = new Logger(WechatBindingsService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly accounts: WechatAccountsRepository,
    private readonly clock: Clock,
  ) {}

  async bind(
    user: User,
    appId: string,
    identity: WechatIdentity,
    proof: BindingProof,
  ): Promise<BindingOutcome> {
    try {
      return await this.bindOnce(user, appId, identity, proof);
    } catch (error) {
      if (!isUniqueViolation(error) && !isDeadlock(error)) throw error;
    }
    // A concurrent binding of the same openid or unionid got there first:
    // look again at what it left (the user's unionid included), once.
    const fresh = (await this.users.findById(user.id)) ?? user;
    try {
      return await this.bindOnce(fresh, appId, identity, proof);
    } catch (error) {
      if (!isUniqueViolation(error) && !isDeadlock(error)) throw error;
      return skipped(fresh, 'a concurrent binding of the same WeChat account won');
    }
  }

  private async bindOnce(
    user: User,
    appId: string,
    identity: WechatIdentity,
    proof: BindingProof,
  ): Promise<BindingOutcome> {
    const unionid = identity.unionid ?? null;
    const existing = await this.accounts.findByOpenid(appId, identity.openid);
    if (existing && existing.userId !== user.id) {
      return skipped(user, 'this openid is bound to another user');
    }
    const newUnionid = unionid !== null && unionid !== user.unionid ? unionid : null;
    if (newUnionid !== null) {
      const owner = await this.users.findByUnionid(newUnionid);
      if (owner && owner.id !== user.id) {
        return skipped(user, 'this unionid belongs to another user');
      }
      if (user.unionid !== null && proof !== 'phone') {
        // Only a phone proof may hand the user to another WeChat account.
        return existing
          ? { bound: true, user }
          : skipped(user, 'the unionid differs from the user’s; a phone proof is needed');
      }
    }
    if (existing && newUnionid === null && (unionid === null || existing.unionid === unionid)) {
      return { bound: true, user };
    }
    const now = new Date(this.clock.now());
    // Another unionid proven by the phone: the user changes WeChat account.
    const replacesAccount = newUnionid !== null && user.unionid !== null;
    const removedIn = await this.accounts.inTransaction((manager) =>
      this.write(manager, user, appId, identity, { newUnionid, replacesAccount, now }),
    );
    if (replacesAccount) {
      this.logger.warn(
        `User ${user.id} proved the phone from another WeChat account in app ${appId}: ` +
          `the old account's bindings were removed in ${removedIn.join(', ') || 'no app'}`,
      );
    }
    return {
      bound: true,
      user: newUnionid === null ? user : { ...user, unionid: newUnionid, updatedAt: now },
    };
  }

  /** One transaction; returns the apps where a binding of the old WeChat account was removed. */
  private async write(
    manager: EntityManager,
    user: User,
    appId: string,
    identity: WechatIdentity,
    change: { newUnionid: string | null; replacesAccount: boolean; now: Date },
  ): Promise<string[]> {
    const { newUnionid, replacesAccount, now } = change;
    // The user row first: it serialises the bindings of one user on MySQL.
    if (newUnionid !== null) {
      await this.users.update(user.id, { unionid: newUnionid, updatedAt: now }, manager);
    }
    const mine = await this.accounts.findAllForUser(manager, user.id);
    // Another WeChat account: every binding that does not carry the new unionid
    // belongs to the old account, or to no account we can vouch for (none known).
    const stale = mine.filter((row) =>
      row.appId === appId ? true : replacesAccount && row.unionid !== newUnionid,
    );
    await this.accounts.remove(
      manager,
      stale.map((row) => row.id),
    );
    await this.accounts.insert(manager, {
      id: randomUUID(),
      userId: user.id,
      appId,
      openid: identity.openid,
      unionid: identity.unionid ?? null,
      createdAt: now,
    });
    if (!replacesAccount) return [];
    return stale
      .filter((row) => row.appId !== appId || row.openid !== identity.openid)
      .map((row) => row.appId)
      .sort();
  }
}

function skipped(user: User, reason: string): BindingOutcome {
  return { bound: false, user, reason };
}
