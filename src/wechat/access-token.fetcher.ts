import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AppMetrics } from '../metrics/app-metrics';
import { AccessTokenStore } from './access-token.store';
import { StoredToken } from './app-token';
import { WechatApiClient } from './wechat-api.client';
import { WechatApp } from './wechat-app';

/**
 * One token fetch from WeChat for an app, including the one case for
 * stable_token's force_refresh. Called by AccessTokenLease while it holds
 * the app's lease.
 */
@Injectable()
export class AccessTokenFetcher {
  private readonly logger = new Logger('AccessTokenService');

  constructor(
    private readonly client: WechatApiClient,
    private readonly store: AccessTokenStore,
    private readonly clock: Clock,
    private readonly metrics: AppMetrics,
  ) {}

  /**
   * `force`: an operator's forced refresh, already claimed from the shared
   * budget (stable mode: force_refresh; classic mode rotates anyway).
   */
  async fetch(
    app: WechatApp,
    reason: string,
    instanceId: string,
    options: { force?: boolean } = {},
  ): Promise<StoredToken> {
    const startedAt = this.clock.now();
    const slot = app.token;
    try {
      if (options.force) this.metrics.forceRefreshes.inc({ app: app.id, trigger: 'operator' });
      let answer = await (options.force
        ? this.client.fetchAccessToken(app, { forceRefresh: true })
        : this.client.fetchAccessToken(app));
      if (
        answer.accessToken === slot.rejected &&
        (await this.mayForceRefresh(app, answer.accessToken))
      ) {
        // stable_token handed back the very token WeChat just rejected: the
        // one case for force_refresh, once per incident, and within WeChat's
        // limits (≥ 30 s apart, 20 a day) claimed from the shared table.
        slot.forcedFor = answer.accessToken;
        this.metrics.forceRefreshes.inc({ app: app.id, trigger: 'rejected' });
        this.logger.warn(
          `stable_token returned the rejected token of ${app.id}; forcing a refresh once`,
        );
        answer = await this.client.fetchAccessToken(app, { forceRefresh: true });
      }
      // WeChat insists this is the live token (no force_refresh allowed now):
      // hold it rather than refetch on every request; a new 40001 drops it again.
      if (answer.accessToken === slot.rejected) slot.rejected = undefined;
      this.logger.log(
        `Fetched WeChat access token for ${app.id} (${app.tokenMode} mode, instance ${instanceId}, reason: ${reason}, expires in ${answer.expiresInSec}s)`,
      );
      this.metrics.tokenFetches.inc({ app: app.id, result: 'ok' });
      return { token: answer.accessToken, expiresAt: startedAt + answer.expiresInSec * 1000 };
    } catch (error) {
      this.metrics.tokenFetches.inc({ app: app.id, result: 'error' });
      // An errcode was already logged, with WeChat's errmsg and the fix, where it arrived.
      if (!('errcode' in (error as object))) {
        this.logger.error(
          `Could not fetch WeChat access token for ${app.id} (instance ${instanceId}, reason: ${reason}): ${(error as Error).message}`,
        );
      }
      throw error;
    }
  }

  private async mayForceRefresh(app: WechatApp, token: string): Promise<boolean> {
    if (app.tokenMode !== 'stable' || app.token.forcedFor === token) return false;
    const claimed = await this.store.claimForceRefresh(app.token.key, this.clock.now());
    if (!claimed) {
      this.logger.warn(
        `stable_token returned the rejected token of ${app.id}, but force_refresh is not allowed now (30 s apart, 20 a day, for all instances); keeping it`,
      );
    }
    return claimed;
  }
}
