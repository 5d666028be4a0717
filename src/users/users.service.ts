import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AvatarLinks } from '../avatars/avatar-links';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { writeOrConflict } from '../common/database/unique-violation';
import { NicknameScreen } from '../wechat/nickname-screen';
import type { VerifiedPhone } from '../wechat/phone.service';
import type { WechatApp } from '../wechat/wechat-app';
import { UserAvatarsService } from './user-avatars.service';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';
import type { WechatAccount } from './wechat-account.entity';
import { WechatAccountsRepository } from './wechat-accounts.repository';

export interface NewUser {
  /** Chosen beforehand when something (an uploaded avatar) is stored for the user first. */
  id?: string;
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  nickname?: string;
  avatarUrl?: string;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly accounts: WechatAccountsRepository,
    private readonly clock: Clock,
    private readonly nicknames: NicknameScreen,
    private readonly avatars: UserAvatarsService,
    private readonly links: AvatarLinks,
  ) {}

  findByPhone(phoneNumber: string): Promise<User | null> {
    return this.users.findByPhone(phoneNumber);
  }

  findById(id: string): Promise<User | null> {
    return this.users.findById(id);
  }

  /** The user of a verified access token; one that no longer exists is as good as no token. */
  async current(userId: string): Promise<User> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppError('UNAUTHORIZED', 'The user of this token no longer exists');
    return user;
  }

  /** The user bound to this WeChat account of this mini-program. */
  async findByWechatAccount(appId: string, openid: string): Promise<User | null> {
    const account = await this.accounts.findByOpenid(appId, openid);
    return account ? this.findById(account.userId) : null;
  }

  /** unionid is shared by the mini-programs of one Open Platform account; unique per user. */
  findByUnionid(unionid: string): Promise<User | null> {
    return this.users.findByUnionid(unionid);
  }

  /**
   * `app`: the mini-program the request comes from; a new nickname is
   * checked by WeChat as written by the user's openid there.
   */
  async updateProfile(
    user: User,
    profile: { nickname?: string; avatarUrl?: string },
    app: WechatApp,
  ): Promise<User> {
    const avatarUrl =
      profile.avatarUrl !== undefined ? this.links.toStored(profile.avatarUrl) : undefined;
    // An unchanged nickname was already accepted: no WeChat call for it.
    if (profile.nickname !== undefined && profile.nickname !== user.nickname) {
      const account = await this.accounts.findForUser(user.id, app.id);
      await this.nicknames.screenNickname(profile.nickname, {
        app,
        openid: account?.openid,
        label: `user ${user.id}`,
      });
    }
    const changes = {
      ...(profile.nickname !== undefined ? { nickname: profile.nickname } : {}),
      ...(avatarUrl !== undefined ? { avatarUrl } : {}),
      updatedAt: new Date(this.clock.now()),
    };
    await this.users.update(user.id, changes);
    if (avatarUrl !== undefined) await this.avatars.release(user.id, user.avatarUrl, avatarUrl);
    return { ...user, ...changes };
  }

  /**
   * Inserts a user, inside the caller's transaction when given one. The
   * unique index on phone_number is the arbiter when two registrations race.
   */
  async create(data: NewUser, manager?: EntityManager): Promise<User> {
    const now = new Date(this.clock.now());
    const user = this.users.build({
      id: data.id ?? randomUUID(),
      phoneNumber: data.phoneNumber,
      purePhoneNumber: data.purePhoneNumber,
      countryCode: data.countryCode,
      nickname: data.nickname ?? null,
      avatarUrl: data.avatarUrl ?? null,
      unionid: null,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: now,
      blockedAt: null,
      blockedReason: null,
    });
    await writeOrConflict(
      this.users.insert(user, manager),
      () =>
        new AppError(
          'PHONE_ALREADY_REGISTERED',
          'A user with this phone number already exists; log in instead',
        ),
    );
    return user;
  }

  /**
   * The user's new number, proven by a fresh phone code. The unique index on
   * phone_number decides between two users claiming one number at once: the
   * loser gets 409 and keeps their old number. The old number is free at once.
   */
  async changePhone(user: User, phone: VerifiedPhone): Promise<User> {
    if (phone.phoneNumber === user.phoneNumber) return user;
    const changes = {
      phoneNumber: phone.phoneNumber,
      purePhoneNumber: phone.purePhoneNumber,
      countryCode: phone.countryCode,
      updatedAt: new Date(this.clock.now()),
    };
    await writeOrConflict(
      this.users.update(user.id, changes),
      () =>
        new AppError(
          'PHONE_ALREADY_REGISTERED',
          'Another user has this phone number; it cannot be moved to this account',
        ),
    );
    return { ...user, ...changes };
  }

  /** The user's WeChat accounts, one per mini-program. */
  wechatAccountsOf(userId: string): Promise<WechatAccount[]> {
    return this.accounts.listForUser(userId);
  }

  /** A plain UPDATE of one column: two logins of one user (a double tap) never wait on each other. */
  async recordLogin(user: User): Promise<User> {
    const now = new Date(this.clock.now());
    await this.users.update(user.id, { lastLoginAt: now });
    return { ...user, lastLoginAt: now };
  }
}
