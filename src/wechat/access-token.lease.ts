import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { wechatConfig } from '../config/wechat.config';
import { AccessTokenFetcher } from './access-token.fetcher';
import { AccessTokenStore } from './access-token.store';
import { StoredToken } from './app-token';
import { WechatApp } from './wechat-app';
import { WechatUnreachableError } from './wechat.errors';

/** How often an instance waiting for another one's fetch looks at the table. */
export const LEASE_POLL_MS = 100;

/**
 * Makes N instances sharing the database behave as one WeChat client: one
 * live token per app in `wechat_access_tokens`, and exactly one instance
 * fetching at a time, the one holding the app's lease row. A lease expires on
 * its own, so a holder that crashed mid-fetch blocks the others only until
 * `lease_until`; the others wait and read the result.
 */
@Injectable()
export class AccessTokenLease {
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  constructor(
    private readonly store: AccessTokenStore,
    private readonly fetcher: AccessTokenFetcher,
    private readonly clock: Clock,
    @Inject(wechatConfig.KEY)
    private readonly config: ConfigType<typeof wechatConfig>,
  ) {}

  readStored(app: WechatApp): Promise<StoredToken | undefined> {
    return this.store.read(app.token.key);
  }

  /** Compare-and-expire in the table: a replacement another instance stored is left alone. */
  expire(app: WechatApp, token: string): Promise<void> {
    return this.store.expireIfCurrent(app.token.key, token, this.clock.now());
  }

  /**
   * A token with more than `marginMs` left: the stored one if it is, else the
   * instance that wins the lease fetches and stores, and the others poll the
   * table until the new token appears or they give up (one call's timeout
   * plus a second).
   */
  async obtain(app: WechatApp, reason: string, marginMs: number): Promise<StoredToken> {
    const giveUpAt = this.clock.now() + this.config.timeoutMs + 1000;
    for (;;) {
      const stored = await this.acceptableStored(app, marginMs);
      if (stored) return stored;
      const now = this.clock.now();
      const leaseUntil = now + this.config.timeoutMs * 2 + 5000;
      if (await this.store.tryAcquireLease(app.token.key, this.instanceId, now, leaseUntil)) {
        return this.fetchUnderLease(app, reason, marginMs);
      }
      if (this.clock.now() >= giveUpAt) {
        throw new WechatUnreachableError('another instance is still fetching the access token');
      }
      await this.clock.sleep(LEASE_POLL_MS);
    }
  }

  /**
   * An operator's forced refresh: with the app's lease (else 503: another
   * instance is fetching right now), one claim on WeChat's force-refresh
   * budget shared by every instance (else 429 FORCE_REFRESH_LIMITED with the
   * wait), then a forced fetch stored for all.
   */
  async forceRefresh(app: WechatApp): Promise<StoredToken> {
    const now = this.clock.now();
    const leaseUntil = now + this.config.timeoutMs * 2 + 5000;
    if (!(await this.store.tryAcquireLease(app.token.key, this.instanceId, now, leaseUntil))) {
      throw new WechatUnreachableError('another instance is fetching the access token right now');
    }
    try {
      const wait = await this.store.claimForceRefreshOrWait(app.token.key, now);
      if (wait !== undefined) {
        throw new AppError(
          'FORCE_REFRESH_LIMITED',
          "A forced refresh now would break WeChat's limits for this app (30 s apart, 20 a day)",
          { retryAfterSec: wait },
        );
      }
      const reason = 'forced by an operator';
      const fetched = await this.fetcher.fetch(app, reason, this.instanceId, { force: true });
      return await this.storeFetched(app, fetched, reason);
    } finally {
      await this.releaseLease(app);
    }
  }

  private async fetchUnderLease(
    app: WechatApp,
    reason: string,
    marginMs: number,
  ): Promise<StoredToken> {
    try {
      // Another instance may have stored a token between our read and our lease.
      const stored = await this.acceptableStored(app, marginMs);
      if (stored) return stored;
      const fetched = await this.fetcher.fetch(app, reason, this.instanceId);
      return await this.storeFetched(app, fetched, reason);
    } finally {
      await this.releaseLease(app);
    }
  }

  /** Stores a fetched token for every instance, labelled with who fetched it, why and when. */
  private async storeFetched<T extends StoredToken>(
    app: WechatApp,
    fetched: T,
    reason: string,
  ): Promise<T> {
    const at = new Date(this.clock.now()).toISOString();
    await this.store.save(app.token.key, fetched, `${this.instanceId} (${reason}) at ${at}`);
    return fetched;
  }

  /** A lease that cannot be released now simply runs out. */
  private async releaseLease(app: WechatApp): Promise<void> {
    await this.store.releaseLease(app.token.key, this.instanceId).catch(() => undefined);
  }

  private async acceptableStored(
    app: WechatApp,
    marginMs: number,
  ): Promise<StoredToken | undefined> {
    const stored = await this.store.read(app.token.key);
    return stored && app.token.acceptable(stored, this.clock.now(), marginMs) ? stored : undefined;
  }
}
