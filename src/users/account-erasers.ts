import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * A feature that stores something about a user outside the `users` and
 * `wechat_accounts` tables (e.g. avatar images) and must erase it when the
 * account is deleted. It registers itself once, at construction:
 *
 *     constructor(erasers: AccountErasers) { erasers.register(this); }
 *
 * `eraseUser` runs inside the deletion's transaction (use `manager`), before
 * the user's row is deleted: either everything of the account goes, or nothing.
 */
export interface AccountEraser {
  /** For the log line of a deletion, e.g. `avatars`. */
  readonly erasedData: string;
  eraseUser(userId: string, manager: EntityManager): Promise<void>;
}

/** The erasers every account deletion runs (see AccountEraser). */
@Injectable()
export class AccountErasers {
  private readonly erasers: AccountEraser[] = [];

  register(eraser: AccountEraser): void {
    this.erasers.push(eraser);
  }

  get all(): readonly AccountEraser[] {
    return this.erasers;
  }
}
