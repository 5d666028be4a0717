import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { PrebuiltSql } from '../common/database/prebuilt-sql';
import { User } from './user.entity';

/**
 * Every read and write of the `users` table, as fixed
 * SQL built once (see PrebuiltSql): a login runs two of these statements, and
 * TypeORM's query builder cost more CPU per login than the database work.
 */
@Injectable()
export class UsersRepository {
  private readonly sql: PrebuiltSql<User>;

  constructor(@InjectRepository(User) private readonly users: Repository<User>) {
    this.sql = new PrebuiltSql(users);
  }

  findByPhone(phoneNumber: string): Promise<User | null> {
    return this.sql.findOneBy('phoneNumber', phoneNumber);
  }

  findById(id: string): Promise<User | null> {
    return this.sql.findOneBy('id', id);
  }

  findByUnionid(unionid: string): Promise<User | null> {
    return this.sql.findOneBy('unionid', unionid);
  }

  /**
   * What the access guard needs to know: whether the user still exists and
   * whether it is blocked. One primary-key read.
   */
  async findStanding(id: string): Promise<{ blockedAt: Date | null } | null> {
    const user = await this.sql.findOneBy('id', id);
    return user && { blockedAt: user.blockedAt };
  }

  /** A User instance (not yet stored) with exactly these values. */
  build(values: User): User {
    return this.users.create(values);
  }

  /** Inside the caller's transaction when given its manager. */
  insert(user: User, manager?: EntityManager): Promise<void> {
    return this.sql.insert(user, manager);
  }

  /** One UPDATE of the given columns of one user; inside the caller's transaction when given its manager. */
  update(id: string, changes: Partial<User>, manager?: EntityManager): Promise<void> {
    return this.sql.updateWhere('id', id, changes, manager);
  }
}
