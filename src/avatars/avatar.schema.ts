import { EntitySchema } from 'typeorm';
import type { DatabaseConfig } from '../config/database.config';

/** One stored avatar: the re-encoded image, never what the client sent. */
export interface StoredAvatar {
  /** Content hash + extension, e.g. `3f0c…9a.jpg`: the last segment of `/avatars/{name}`. */
  name: string;
  /** The user it was uploaded for; only they can replace or delete it. */
  userId: string;
  contentType: string;
  bytes: Buffer;
  width: number;
  height: number;
  createdAt: Date;
}

export const AVATAR_ENTITY = 'Avatar';

/**
 * The `avatars` table. A schema rather than a decorated class because the
 * bytes column's type depends on the server: MySQL's BLOB stops at 64 KiB,
 * so it is LONGBLOB there; SQLite has only BLOB.
 */
export function avatarEntitySchema(type: DatabaseConfig['type']): EntitySchema<StoredAvatar> {
  return new EntitySchema<StoredAvatar>({
    name: AVATAR_ENTITY,
    tableName: 'avatars',
    columns: {
      name: { type: 'varchar', length: 64, primary: true },
      userId: { name: 'user_id', type: 'varchar', length: 36 },
      contentType: { name: 'content_type', type: 'varchar', length: 32 },
      bytes: { type: type === 'sqlite' ? 'blob' : 'longblob' },
      width: { type: 'integer' },
      height: { type: 'integer' },
      createdAt: { name: 'created_at', type: 'datetime' },
    },
    indices: [{ name: 'IDX_avatars_user_id', columns: ['userId'] }],
  });
}
