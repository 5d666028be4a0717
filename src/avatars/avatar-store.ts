import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { Clock } from '../common/clock';
import type { EncodedAvatar } from './avatar-image';
import { AVATAR_ENTITY, StoredAvatar } from './avatar.schema';

/**
 * Where avatar images live. Names are content hashes, so `put` is idempotent
 * and a stored image never changes; callers write it before pointing a user
 * at it and delete the old one after, which an object store (S3, COS) can do
 * just as well as the database.
 */
export abstract class AvatarStore {
  /** Stores the whole image under its name, or nothing. */
  abstract put(ownerId: string, avatar: EncodedAvatar): Promise<void>;
  abstract get(name: string): Promise<StoredAvatar | null>;
  abstract delete(name: string): Promise<void>;
}

/** The default store: a row of `avatars`, one INSERT (atomic: never half an image). */
@Injectable()
export class DatabaseAvatarStore extends AvatarStore {
  private readonly avatars: Repository<StoredAvatar>;

  constructor(
    dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    super();
    this.avatars = dataSource.getRepository<StoredAvatar>(AVATAR_ENTITY);
  }

  async put(ownerId: string, avatar: EncodedAvatar): Promise<void> {
    // The name hashes the owner and the bytes: the same upload twice is the same row.
    await this.avatars
      .createQueryBuilder()
      .insert()
      .values({
        name: avatar.name,
        userId: ownerId,
        contentType: avatar.contentType,
        bytes: avatar.bytes,
        width: avatar.width,
        height: avatar.height,
        createdAt: new Date(this.clock.now()),
      })
      .orIgnore()
      .execute();
  }

  get(name: string): Promise<StoredAvatar | null> {
    return this.avatars.findOneBy({ name });
  }

  async delete(name: string): Promise<void> {
    await this.avatars.delete({ name });
  }
}
