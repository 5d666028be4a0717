import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { isUniqueViolation } from '../database/unique-violation';
import { User } from './user.entity';

export interface NewUser {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  nickname?: string;
  avatarUrl?: string;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly clock: Clock,
  ) {}

  findByPhone(phoneNumber: string): Promise<User | null> {
    return this.users.findOneBy({ phoneNumber });
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByOpenid(openid: string): Promise<User | null> {
    return this.users.findOneBy({ openid });
  }

  /**
   * Binds a WeChat account (openid, and unionid when WeChat gives one) to the
   * user, so later visits can log in silently. The phone proof wins: a user
   * who changed WeChat account gets the new openid. An openid already bound to
   * another user is refused by the unique index → 409.
   */
  async bindWechatAccount(
    user: User,
    account: { openid: string; unionid?: string },
    manager?: EntityManager,
  ): Promise<User> {
    const unionid = account.unionid ?? user.unionid;
    if (user.openid === account.openid && user.unionid === unionid) return user;
    const changes = { openid: account.openid, unionid, updatedAt: new Date(this.clock.now()) };
    try {
      await (manager ?? this.users.manager).update(User, { id: user.id }, changes);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError(
          'WECHAT_ACCOUNT_ALREADY_BOUND',
          'This WeChat account is already bound to another user',
        );
      }
      throw error;
    }
    return { ...user, ...changes };
  }

  async updateProfile(
    user: User,
    profile: { nickname?: string; avatarUrl?: string },
  ): Promise<User> {
    const changes = {
      ...(profile.nickname !== undefined ? { nickname: profile.nickname } : {}),
      ...(profile.avatarUrl !== undefined ? { avatarUrl: profile.avatarUrl } : {}),
      updatedAt: new Date(this.clock.now()),
    };
    await this.users.update({ id: user.id }, changes);
    return { ...user, ...changes };
  }

  /**
   * Inserts a user, inside the caller's transaction when given one. The
   * unique index on phone_number is the arbiter when two registrations race.
   */
  async create(data: NewUser, manager?: EntityManager): Promise<User> {
    const now = new Date(this.clock.now());
    const user = this.users.create({
      id: randomUUID(),
      phoneNumber: data.phoneNumber,
      purePhoneNumber: data.purePhoneNumber,
      countryCode: data.countryCode,
      nickname: data.nickname ?? null,
      avatarUrl: data.avatarUrl ?? null,
      openid: null,
      unionid: null,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: now,
    });
    try {
      await (manager ?? this.users.manager).insert(User, user);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError(
          'PHONE_ALREADY_REGISTERED',
          'A user with this phone number already exists; log in instead',
        );
      }
      throw error;
    }
    return user;
  }

  /** A plain UPDATE of one column: two logins of one user (a double tap) never wait on each other. */
  async recordLogin(user: User): Promise<User> {
    const now = new Date(this.clock.now());
    await this.users.update({ id: user.id }, { lastLoginAt: now });
    return { ...user, lastLoginAt: now };
  }
}
