import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { wechatConfig } from '../config/wechat.config';
import { WechatApiClient } from './wechat-api.client';

/** WeChat keeps an old token valid for 5 minutes after a new one is issued, and stable_token renews only in a token's last 5 minutes. */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** A token this close to expiry is not handed to a request: the call could outlive it. */
export const USE_MARGIN_MS = 30_000;
/** How often the scheduled job looks at the token. */
export const REFRESH_CHECK_CRON = '*/15 * * * * *';

interface HeldToken {
  token: string;
  expiresAt: number;
}

export interface AccessTokenStatus {
  held: boolean;
  expiresInSec: number | null;
  mode: 'stable' | 'classic';
}

/**
 * Central control of the WeChat access token (CONTRACT §3): fetched once at
 * boot, renewed by a scheduled job before it expires, shared by every request.
 * A request never fetches a token while a usable one is held, and concurrent
 * fetches collapse into one (single-flight), so the ~2000/day quota and the
 * "every fetch invalidates the previous token" rule are never a problem.
 */
@Injectable()
export class AccessTokenService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccessTokenService.name);
  private held: HeldToken | undefined;
  private inFlight: Promise<HeldToken> | undefined;

  constructor(
    private readonly client: WechatApiClient,
    private readonly clock: Clock,
    @Inject(wechatConfig.KEY)
    private readonly config: ConfigType<typeof wechatConfig>,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: a slow WeChat must not hold up boot. Requests that arrive
    // meanwhile join this same fetch.
    this.fetch('boot').catch(() => undefined);
  }

  /** A usable token: the held one, or the (single) fetch in progress. */
  async getToken(): Promise<string> {
    const held = this.held;
    if (held && this.clock.now() < held.expiresAt - USE_MARGIN_MS) {
      return held.token;
    }
    return (await this.fetch('no usable token')).token;
  }

  /**
   * WeChat rejected `token` (40001/40014/42001). Forget it only if it is still
   * the one held: when many calls fail with the same token, the first drops it
   * and the rest then share one new fetch instead of each discarding the
   * replacement.
   */
  invalidate(token: string): void {
    if (this.held?.token === token) {
      this.held = undefined;
      this.logger.warn('WeChat rejected the access token; fetching a new one');
    }
  }

  @Cron(REFRESH_CHECK_CRON, { name: 'wechat-access-token-refresh' })
  async refreshIfDue(): Promise<void> {
    const held = this.held;
    if (held && this.clock.now() < held.expiresAt - REFRESH_AHEAD_MS) return;
    try {
      await this.fetch(held ? 'expires within 5 minutes' : 'no token held');
    } catch {
      // Already logged by fetch(); the next run tries again.
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

  private fetch(reason: string): Promise<HeldToken> {
    this.inFlight ??= this.fetchFromWechat(reason).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchFromWechat(reason: string): Promise<HeldToken> {
    const startedAt = this.clock.now();
    try {
      const { accessToken, expiresInSec } = await this.client.fetchAccessToken();
      const held = { token: accessToken, expiresAt: startedAt + expiresInSec * 1000 };
      this.held = held;
      this.logger.log(
        `Fetched WeChat access token (${this.config.tokenMode} mode, reason: ${reason}, expires in ${expiresInSec}s)`,
      );
      return held;
    } catch (error) {
      this.logger.error(
        `Could not fetch WeChat access token (reason: ${reason}): ${(error as Error).message}`,
      );
      throw error;
    }
  }
}
