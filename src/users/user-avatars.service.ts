import { Injectable } from '@nestjs/common';
import { AvatarImages } from '../avatars/avatar-image';
import { AvatarLinks } from '../avatars/avatar-links';
import { AvatarStore } from '../avatars/avatar-store';
import { Clock } from '../common/clock';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';

/**
 * A user's uploaded avatar. The order of the writes is what keeps every
 * avatarUrl working: the new image is stored whole before the user points
 * at it, and the old one is deleted only after the user stopped pointing at
 * it. A failure in between leaves at most an unreferenced image, never a
 * user whose avatarUrl answers 404 or half an image.
 */
@Injectable()
export class UserAvatarsService {
  constructor(
    private readonly images: AvatarImages,
    private readonly store: AvatarStore,
    private readonly links: AvatarLinks,
    private readonly users: UsersRepository,
    private readonly clock: Clock,
  ) {}

  /** Re-encodes and stores an upload for this (possibly not yet created) user; the avatarUrl to store. */
  async save(ownerId: string, upload: Buffer): Promise<string> {
    const avatar = await this.images.encode(ownerId, upload);
    await this.store.put(ownerId, avatar);
    return this.links.pathOf(avatar.name);
  }

  async replace(user: User, upload: Buffer): Promise<User> {
    const avatarUrl = await this.save(user.id, upload);
    const changes = { avatarUrl, updatedAt: new Date(this.clock.now()) };
    await this.users.update(user.id, changes);
    await this.release(user.id, user.avatarUrl, avatarUrl);
    return { ...user, ...changes };
  }

  /**
   * Deletes the image a user's avatarUrl no longer points at, if it is one
   * this user uploaded (a PATCH may have pointed them at another user's).
   */
  async release(
    ownerId: string,
    previousUrl: string | null,
    currentUrl: string | null,
  ): Promise<void> {
    const name = this.links.nameOf(previousUrl);
    if (name === undefined || previousUrl === currentUrl) return;
    const previous = await this.store.get(name);
    if (previous?.userId === ownerId) await this.store.delete(name);
  }
}
