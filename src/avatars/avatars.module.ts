import { Module } from '@nestjs/common';
import { AvatarImages } from './avatar-image';
import { AvatarLinks } from './avatar-links';
import { AvatarStore, DatabaseAvatarStore } from './avatar-store';
import { AvatarsController } from './avatars.controller';

/** Uploaded avatars: re-encoding, storage (the database; the AvatarStore seam for others) and serving. */
@Module({
  controllers: [AvatarsController],
  providers: [AvatarImages, AvatarLinks, { provide: AvatarStore, useClass: DatabaseAvatarStore }],
  exports: [AvatarImages, AvatarLinks, AvatarStore],
})
export class AvatarsModule {}
