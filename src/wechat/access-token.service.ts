import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { wechatConfig } from '../config/wechat.config';
import { AccessTokenFetcher } from './access-token.fetcher';
import { AccessTokenStore, StoredToken } from './access-token.store';
import { AppToken } from './app-token';
import { MISCONFIGURED_RETRY_SEC } from './wechat-errcodes';
import { WechatMisconfiguredError, WechatUnreachableError } from './wechat.errors';

/** WeChat keeps an old token valid for 5 minutes after a new one is issued, and stable_token renews only in a token's last 5 minutes. */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** A token this close to expiry is not handed to a request: the call could outlive it. */
export const USE_MARGIN_MS = 30_000;
/** How often the scheduled job looks at the shared token. */
export const REFRESH_CHECK_CRON = '*/15 * * * * *';
/** How often an instance waiting for another one's fetch looks at the table. */
export const LEASE_POLL_MS = 100;
export { FORCE_REFRESH_MIN_INTERVAL_MS } from './access-token.store';

type HeldToken = StoredToken;

export interface AccessTokenStatus {
  appId: string;
  held: boolean;
  expiresInSec: number | null;
  mode: 'stable' | 'classic';
  /** WeChat refused the last token fetch as misconfigured: its errcode and what to check. */
  misconfigured: { errcode: number; hint: string } | null;
}

/**
 * Central control of the WeChat access token (see the README), per app, across
 * every instance that shares the database:
 *
 * - one live token per app, in `wechat_access_tokens`; a starting instance
 *   uses the stored one when it is still valid instead of fetching;
 * - exactly one instance fetches at a time, holding a lease row that expires
 *   on its own (a crashed holder blocks the others only until then), while the
 *   others wait and read the result;
 * - renewal by a scheduled job once 5 minutes or less are left; every tick
 *   also picks up a token another instance fetched;
 * - inside a process, concurrent needs share one flight; a request never
 *   fetches while a usable token is held;
 * - when WeChat refuses a fetch as misconfigured (bad AppSecret, IP not on the
 *   allow-list, …), calls are answered from that failure, and the fetch is
 *   tried again once per MISCONFIGURED_RETRY_SEC until WeChat hands out a
 *   token again.
 *
 * Every method takes the app; it defaults to the primary (or only) app.
 */
@Injectable()
export class AccessTokenService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccessTokenService.name);
  private readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly apps = new Map<string, AppToken>();

  constructor(
    private readonly fetcher: AccessTokenFetcher,
    private readonly store: AccessTokenStore,
    private readonly clock: Clock,
    @Inject(wechatConfig.KEY)
    private readonly config: ConfigType<typeof wechatConfig>,
  ) {
    for (const { appId } of config.apps) {
      this.apps.set(appId, new AppToken(appId, `${appId}:${config.tokenMode}`));
    }
  }

  onApplicationBootstrap(): void {
    // Not awaited: a slow WeChat or a busy lease must not hold up boot.
    // Requests that arrive meanwhile join these same flights.
    for (const app of this.apps.values()) {
      this.obtain(app, 'boot', (t) => this.usable(app, t)).catch(() => undefined);
    }
  }

  /** A usable token: the held one, else the shared one, else one fetch for all. */
  async getToken(appId = this.config.appId): Promise<string> {
    const app = this.app(appId);
    const held = app.held;
    if (held && this.usable(app, held)) return held.token;
    return (await this.obtain(app, 'no usable token', (t) => this.usable(app, t))).token;
  }

  /**
   * WeChat rejected `token` (40001/40014/42001). Forget it only if it is still
   * the one held (compare-and-expire), here and in the table: when 50 calls
   * fail with the same token, the first drops it and the rest share one new
   * fetch instead of each discarding the replacement.
   */
  async invalidate(token: string, appId = this.config.appId): Promise<void> {
    const app = this.app(appId);
    // A late report about an older token must not hide the current rejection.
    if (app.held?.token === token) {
      app.rejected = token;
      app.held = undefined;
      this.logger.warn(`WeChat rejected the access token of ${appId}; getting a new one`);
    }
    await this.store.expireIfCurrent(app.key, token, this.clock.now());
  }

  @Cron(REFRESH_CHECK_CRON, { name: 'wechat-access-token-refresh' })
  async refreshIfDue(): Promise<void> {
    await Promise.all([...this.apps.values()].map((app) => this.refreshAppIfDue(app)));
  }

  /** The primary app's token state. */
  status(appId = this.config.appId): AccessTokenStatus {
    const app = this.app(appId);
    const remaining = app.held ? app.held.expiresAt - this.clock.now() : 0;
    return {
      appId,
      held: remaining > 0,
      expiresInSec: remaining > 0 ? Math.floor(remaining / 1000) : null,
      mode: this.config.tokenMode,
      misconfigured: app.misconfigured
        ? { errcode: app.misconfigured.error.errcode, hint: app.misconfigured.error.hint }
        : null,
    };
  }

  statusOfAll(): AccessTokenStatus[] {
    return [...this.apps.keys()].map((appId) => this.status(appId));
  }

  private app(appId: string): AppToken {
    const app = this.apps.get(appId);
    if (!app) throw new Error(`unknown app ${appId}`);
    return app;
  }

  private async refreshAppIfDue(app: AppToken): Promise<void> {
    try {
      // Always look at the table first: a token another instance fetched
      // (early, after WeChat rejected the old one) is adopted within one tick,
      // well inside the 5 minutes before WeChat kills the old one.
      const stored = await this.store.read(app.key);
      if (stored && this.fresh(app, stored)) {
        this.hold(app, stored);
        return;
      }
      await this.obtain(app, 'expires within 5 minutes', (t) => this.fresh(app, t));
    } catch {
      // Already logged; the next tick tries again, and the held token (if
      // any) keeps serving until it expires.
    }
  }

  private usable(app: AppToken, token: HeldToken): boolean {
    return token.token !== app.rejected && this.clock.now() < token.expiresAt - USE_MARGIN_MS;
  }

  /** Not yet due for renewal. */
  private fresh(app: AppToken, token: HeldToken): boolean {
    return token.token !== app.rejected && this.clock.now() < token.expiresAt - REFRESH_AHEAD_MS;
  }

  /** Single-flight inside the process: concurrent callers share one coordination. */
  private obtain(
    app: AppToken,
    reason: string,
    goodEnough: (t: HeldToken) => boolean,
  ): Promise<HeldToken> {
    const held = app.held;
    if (held && goodEnough(held)) return Promise.resolve(held);
    const failure = app.misconfigured;
    if (!app.inFlight && failure && this.clock.now() < failure.retryAt) {
      return Promise.reject(failure.error.retryingIn((failure.retryAt - this.clock.now()) / 1000));
    }
    app.inFlight ??= this.coordinate(app, reason, goodEnough).finally(() => {
      app.inFlight = undefined;
    });
    return app.inFlight;
  }

  /**
   * Across processes: take the stored token if it is good enough; otherwise
   * the instance that wins the lease fetches and stores, and the others poll
   * the table until the new token appears or the lease runs out.
   */
  private async coordinate(
    app: AppToken,
    reason: string,
    goodEnough: (t: HeldToken) => boolean,
  ): Promise<HeldToken> {
    const giveUpAt = this.clock.now() + this.config.timeoutMs + 1000;
    for (;;) {
      const stored = await this.store.read(app.key);
      if (stored && goodEnough(stored)) return this.hold(app, stored);
      const now = this.clock.now();
      const leaseUntil = now + this.config.timeoutMs * 2 + 5000;
      if (await this.store.tryAcquireLease(app.key, this.instanceId, now, leaseUntil)) {
        return this.fetchUnderLease(app, reason, goodEnough);
      }
      if (this.clock.now() >= giveUpAt) {
        throw new WechatUnreachableError('another instance is still fetching the access token');
      }
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    }
  }

  private async fetchUnderLease(
    app: AppToken,
    reason: string,
    goodEnough: (t: HeldToken) => boolean,
  ): Promise<HeldToken> {
    try {
      // Another instance may have stored a token between our read and our lease.
      const stored = await this.store.read(app.key);
      if (stored && goodEnough(stored)) return this.hold(app, stored);
      const fetched = await this.fetcher.fetch(app, reason, this.instanceId);
      await this.store.save(
        app.key,
        fetched,
        `${this.instanceId} (${reason}) at ${new Date(this.clock.now()).toISOString()}`,
      );
      return this.hold(app, fetched);
    } catch (error) {
      if (error instanceof WechatMisconfiguredError) {
        app.misconfigured = { error, retryAt: this.clock.now() + MISCONFIGURED_RETRY_SEC * 1000 };
      }
      throw error;
    } finally {
      await this.store.releaseLease(app.key, this.instanceId).catch(() => undefined);
    }
  }

  /** A token WeChat gave us (or another instance stored) ends any misconfiguration. */
  private hold(app: AppToken, token: HeldToken): HeldToken {
    app.misconfigured = undefined;
    return (app.held = token);
  }
}
