import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { wechatConfig } from '../config/wechat.config';
import { AccessTokenStore, StoredToken } from './access-token.store';
import { WechatApiClient } from './wechat-api.client';
import { WechatMisconfiguredError, WechatUnreachableError } from './wechat.errors';

/** WeChat keeps an old token valid for 5 minutes after a new one is issued, and stable_token renews only in a token's last 5 minutes. */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** A token this close to expiry is not handed to a request: the call could outlive it. */
export const USE_MARGIN_MS = 30_000;
/** How often the scheduled job looks at the shared token. */
export const REFRESH_CHECK_CRON = '*/15 * * * * *';
/** How often an instance waiting for another one's fetch looks at the table. */
export const LEASE_POLL_MS = 100;
/** stable_token force_refresh is limited by WeChat to one per 30 s (and 20 a day). */
export const FORCE_REFRESH_MIN_INTERVAL_MS = 30_000;

type HeldToken = StoredToken;

export interface AccessTokenStatus {
  held: boolean;
  expiresInSec: number | null;
  mode: 'stable' | 'classic';
}

/**
 * Central control of the WeChat access token (CONTRACT §3), across every
 * instance that shares the database:
 *
 * - one live token per app, in `wechat_access_tokens`; a starting instance
 *   uses the stored one when it is still valid instead of fetching;
 * - exactly one instance fetches at a time, holding a lease row that expires
 *   on its own (a crashed holder blocks the others only until then), while the
 *   others wait and read the result;
 * - renewal by a scheduled job once 5 minutes or less are left; every tick
 *   also picks up a token another instance fetched;
 * - inside a process, concurrent needs share one flight; a request never
 *   fetches while a usable token is held.
 */
@Injectable()
export class AccessTokenService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccessTokenService.name);
  private readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly appKey: string;
  private held: HeldToken | undefined;
  private inFlight: Promise<HeldToken> | undefined;
  /** The last token WeChat rejected: never adopted again from the table. */
  private rejected: string | undefined;
  private forcedFor: string | undefined;
  private lastForceRefreshAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: WechatApiClient,
    private readonly store: AccessTokenStore,
    private readonly clock: Clock,
    @Inject(wechatConfig.KEY)
    private readonly config: ConfigType<typeof wechatConfig>,
  ) {
    this.appKey = `${config.appId}:${config.tokenMode}`;
  }

  onApplicationBootstrap(): void {
    // Not awaited: a slow WeChat or a busy lease must not hold up boot.
    // Requests that arrive meanwhile join this same flight.
    this.obtain('boot', (t) => this.usable(t)).catch(() => undefined);
  }

  /** A usable token: the held one, else the shared one, else one fetch for all. */
  async getToken(): Promise<string> {
    const held = this.held;
    if (held && this.usable(held)) return held.token;
    return (await this.obtain('no usable token', (t) => this.usable(t))).token;
  }

  /**
   * WeChat rejected `token` (40001/40014/42001). Forget it only if it is still
   * the one held (compare-and-expire), here and in the table: when 50 calls
   * fail with the same token, the first drops it and the rest share one new
   * fetch instead of each discarding the replacement.
   */
  async invalidate(token: string): Promise<void> {
    this.rejected = token;
    if (this.held?.token === token) {
      this.held = undefined;
      this.logger.warn('WeChat rejected the access token; getting a new one');
    }
    await this.store.expireIfCurrent(this.appKey, token, this.clock.now());
  }

  @Cron(REFRESH_CHECK_CRON, { name: 'wechat-access-token-refresh' })
  async refreshIfDue(): Promise<void> {
    try {
      // Always look at the table first: a token another instance fetched
      // (early, after WeChat rejected the old one) is adopted within one tick,
      // well inside the 5 minutes before WeChat kills the old one.
      const stored = await this.store.read(this.appKey);
      if (stored && this.fresh(stored)) {
        this.adopt(stored);
        return;
      }
      await this.obtain('expires within 5 minutes', (t) => this.fresh(t));
    } catch {
      // Already logged; the next tick tries again, and the held token (if
      // any) keeps serving until it expires.
    }
  }

  status(): AccessTokenStatus {
    const held = this.held;
    const remaining = held ? held.expiresAt - this.clock.now() : 0;
    return {
      held: remaining > 0,
      expiresInSec: remaining > 0 ? Math.floor(remaining / 1000) : null,
      mode: this.config.tokenMode,
    };
  }

  private usable(token: HeldToken): boolean {
    return token.token !== this.rejected && this.clock.now() < token.expiresAt - USE_MARGIN_MS;
  }

  /** Not yet due for renewal. */
  private fresh(token: HeldToken): boolean {
    return token.token !== this.rejected && this.clock.now() < token.expiresAt - REFRESH_AHEAD_MS;
  }

  /** Single-flight inside the process: concurrent callers share one coordination. */
  private obtain(reason: string, goodEnough: (t: HeldToken) => boolean): Promise<HeldToken> {
    const held = this.held;
    if (held && goodEnough(held)) return Promise.resolve(held);
    this.inFlight ??= this.coordinate(reason, goodEnough).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Across processes: take the stored token if it is good enough; otherwise
   * the instance that wins the lease fetches and stores, and the others poll
   * the table until the new token appears or the lease runs out.
   */
  private async coordinate(
    reason: string,
    goodEnough: (t: HeldToken) => boolean,
  ): Promise<HeldToken> {
    const giveUpAt = this.clock.now() + this.config.timeoutMs + 1000;
    for (;;) {
      const stored = await this.store.read(this.appKey);
      if (stored && goodEnough(stored)) return this.adopt(stored);
      const now = this.clock.now();
      const leaseUntil = now + this.config.timeoutMs * 2 + 5000;
      if (await this.store.tryAcquireLease(this.appKey, this.instanceId, now, leaseUntil)) {
        return this.fetchUnderLease(reason, goodEnough);
      }
      if (this.clock.now() >= giveUpAt) {
        throw new WechatUnreachableError('another instance is still fetching the access token');
      }
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    }
  }

  private async fetchUnderLease(
    reason: string,
    goodEnough: (t: HeldToken) => boolean,
  ): Promise<HeldToken> {
    try {
      // Another instance may have stored a token between our read and our lease.
      const stored = await this.store.read(this.appKey);
      if (stored && goodEnough(stored)) return this.adopt(stored);
      const fetched = await this.fetchFromWechat(reason);
      await this.store.save(
        this.appKey,
        fetched,
        `${this.instanceId} (${reason}) at ${new Date(this.clock.now()).toISOString()}`,
      );
      return this.adopt(fetched);
    } finally {
      await this.store.releaseLease(this.appKey, this.instanceId).catch(() => undefined);
    }
  }

  private adopt(token: HeldToken): HeldToken {
    this.held = token;
    return token;
  }

  private async fetchFromWechat(reason: string): Promise<HeldToken> {
    const startedAt = this.clock.now();
    try {
      let answer = await this.client.fetchAccessToken();
      if (answer.accessToken === this.rejected && this.mayForceRefresh(answer.accessToken)) {
        // stable_token handed back the very token WeChat just rejected: the
        // one case for force_refresh, once per incident and ≥ 30 s apart.
        this.forcedFor = answer.accessToken;
        this.lastForceRefreshAt = startedAt;
        this.logger.warn('stable_token returned the rejected token; forcing a refresh once');
        answer = await this.client.fetchAccessToken({ forceRefresh: true });
      }
      const fetched = {
        token: answer.accessToken,
        expiresAt: startedAt + answer.expiresInSec * 1000,
      };
      this.logger.log(
        `Fetched WeChat access token (${this.config.tokenMode} mode, instance ${this.instanceId}, reason: ${reason}, expires in ${answer.expiresInSec}s)`,
      );
      return fetched;
    } catch (error) {
      const detail =
        error instanceof WechatMisconfiguredError
          ? `WeChat refused our credentials (errcode ${error.errcode}): check WECHAT_APPID, WECHAT_SECRET and the server IP allow-list in the mini-program admin console`
          : (error as Error).message;
      this.logger.error(
        `Could not fetch WeChat access token (instance ${this.instanceId}, reason: ${reason}): ${detail}`,
      );
      throw error;
    }
  }

  private mayForceRefresh(token: string): boolean {
    return (
      this.config.tokenMode === 'stable' &&
      this.forcedFor !== token &&
      this.clock.now() - this.lastForceRefreshAt >= FORCE_REFRESH_MIN_INTERVAL_MS
    );
  }
}
