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
