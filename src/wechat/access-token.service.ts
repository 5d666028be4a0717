import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AccessTokenLease } from './access-token.lease';
import { AppToken, StoredToken } from './app-token';
import { describeTokenFailure } from './access-token.status';
import { WechatApp } from './wechat-app';
import { MISCONFIGURED_RETRY_SEC } from './wechat-errcodes';
import { WechatMisconfiguredError } from './wechat.errors';

/** A token this close to expiry is not handed to a request: the call could outlive it. */
export const USE_MARGIN_MS = 30_000;

/**
 * The access token this process holds for each app (in the app's token slot):
 *
 * - a request never fetches while a usable token is held;
 * - concurrent needs share one flight, which goes through the shared table
 *   (AccessTokenLease), so a token another instance stored is used as is;
 * - when WeChat refuses a fetch as misconfigured (bad AppSecret, IP not on the
 *   allow-list, …), calls are answered from that failure, and the fetch is
 *   tried again once per MISCONFIGURED_RETRY_SEC until WeChat hands out a
 *   token again.
 */
@Injectable()
export class AccessTokenService {
  private readonly logger = new Logger(AccessTokenService.name);

  constructor(
    private readonly lease: AccessTokenLease,
    private readonly clock: Clock,
  ) {}

  /** A usable token: the held one, else the shared one, else one fetch for all. */
  async getToken(app: WechatApp): Promise<string> {
    const held = app.token.held;
    if (held && app.token.acceptable(held, this.clock.now(), USE_MARGIN_MS)) return held.token;
    return (await this.obtain(app, 'no usable token', USE_MARGIN_MS)).token;
  }

  /**
   * Makes the held token last more than `marginMs`. Looks at the table first:
   * a token another instance fetched (early, after WeChat rejected the old
   * one) is adopted even while our own is still fresh.
   */
  async renew(app: WechatApp, marginMs: number, reason: string): Promise<void> {
    const stored = await this.lease.readStored(app);
    if (stored && app.token.acceptable(stored, this.clock.now(), marginMs)) {
      this.hold(app.token, stored);
      return;
    }
    await this.obtain(app, reason, marginMs);
  }

  /**
   * WeChat rejected `token` (40001/40014/42001). Forget it only if it is still
   * the one held (compare-and-expire), here and in the table: when 50 calls
   * fail with the same token, the first drops it and the rest share one new
   * fetch instead of each discarding the replacement.
   */
  async invalidate(app: WechatApp, token: string): Promise<void> {
    const slot = app.token;
    // A late report about an older token must not hide the current rejection.
    if (slot.held?.token === token) {
      slot.rejected = token;
      slot.held = undefined;
      this.logger.warn(`WeChat rejected the access token of ${app.id}; getting a new one`);
    }
    await this.lease.expire(app, token);
  }

  /** Single-flight inside the process: concurrent callers share one coordination. */
  private obtain(app: WechatApp, reason: string, marginMs: number): Promise<StoredToken> {
    const slot = app.token;
    const held = slot.held;
    if (held && slot.acceptable(held, this.clock.now(), marginMs)) return Promise.resolve(held);
    const failure = slot.misconfigured;
    if (!slot.inFlight && failure && this.clock.now() < failure.retryAt) {
      return Promise.reject(failure.error.retryingIn((failure.retryAt - this.clock.now()) / 1000));
    }
    slot.inFlight ??= this.lease
      .obtain(app, reason, marginMs)
      .then(
        (token) => this.hold(slot, token),
        (error: unknown) => {
          slot.lastError = { at: this.clock.now(), message: describeTokenFailure(error) };
          if (error instanceof WechatMisconfiguredError) {
            slot.misconfigured = {
              error,
              retryAt: this.clock.now() + MISCONFIGURED_RETRY_SEC * 1000,
            };
          }
          throw error;
        },
      )
      .finally(() => {
        slot.inFlight = undefined;
      });
    return slot.inFlight;
  }

  /**
   * An operator's forced refresh: a new token from WeChat now, within WeChat's
   * force-refresh limits (AccessTokenLease.forceRefresh), held at once here;
   * the other instances adopt it from the table on their next renewal, or on
   * the first call WeChat refuses with their old one.
   */
  async forceRefresh(app: WechatApp): Promise<void> {
    try {
      this.hold(app.token, await this.lease.forceRefresh(app));
    } catch (error) {
      app.token.lastError = { at: this.clock.now(), message: describeTokenFailure(error) };
      throw error;
    }
  }

  /** A token WeChat gave us (or another instance stored) ends any misconfiguration. */
  private hold(slot: AppToken, token: StoredToken): StoredToken {
    slot.misconfigured = undefined;
    slot.lastError = undefined;
    if (slot.held?.token !== token.token) slot.refreshedAt = this.clock.now();
    return (slot.held = token);
  }
}
