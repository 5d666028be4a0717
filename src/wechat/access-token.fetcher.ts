import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { wechatConfig } from '../config/wechat.config';
import { AccessTokenStore, StoredToken } from './access-token.store';
import { AppToken } from './app-token';
import { WechatApiClient } from './wechat-api.client';

/**
 * One token fetch from WeChat for an app, including the one case for
 * stable_token's force_refresh. Called by AccessTokenService while it holds
 * the app's lease.
 */
@Injectable()
export class AccessTokenFetcher {
  private readonly logger = new Logger('AccessTokenService');

  constructor(
    private readonly client: WechatApiClient,
    private readonly store: AccessTokenStore,
    private readonly clock: Clock,
    @Inject(wechatConfig.KEY)
    private readonly config: ConfigType<typeof wechatConfig>,
  ) {}

  async fetch(app: AppToken, reason: string, instanceId: string): Promise<StoredToken> {
    const startedAt = this.clock.now();
    try {
      let answer = await this.client.fetchAccessToken({ appId: app.appId });
      if (
        answer.accessToken === app.rejected &&
        (await this.mayForceRefresh(app, answer.accessToken))
      ) {
        // stable_token handed back the very token WeChat just rejected: the
        // one case for force_refresh, once per incident, and within WeChat's
        // limits (≥ 30 s apart, 20 a day) claimed from the shared table.
        app.forcedFor = answer.accessToken;
        this.logger.warn(
          `stable_token returned the rejected token of ${app.appId}; forcing a refresh once`,
        );
        answer = await this.client.fetchAccessToken({ appId: app.appId, forceRefresh: true });
      }
      // WeChat insists this is the live token (no force_refresh allowed now):
      // hold it rather than refetch on every request; a new 40001 drops it again.
      if (answer.accessToken === app.rejected) app.rejected = undefined;
      this.logger.log(
        `Fetched WeChat access token for ${app.appId} (${this.config.tokenMode} mode, instance ${instanceId}, reason: ${reason}, expires in ${answer.expiresInSec}s)`,
      );
      return { token: answer.accessToken, expiresAt: startedAt + answer.expiresInSec * 1000 };
    } catch (error) {
      // An errcode was already logged, with WeChat's errmsg and the fix, where it arrived.
      if (!('errcode' in (error as object))) {
        this.logger.error(
          `Could not fetch WeChat access token for ${app.appId} (instance ${instanceId}, reason: ${reason}): ${(error as Error).message}`,
        );
      }
      throw error;
    }
  }

  private async mayForceRefresh(app: AppToken, token: string): Promise<boolean> {
    if (this.config.tokenMode !== 'stable' || app.forcedFor === token) return false;
    const claimed = await this.store.claimForceRefresh(app.key, this.clock.now());
    if (!claimed) {
      this.logger.warn(
        `stable_token returned the rejected token of ${app.appId}, but force_refresh is not allowed now (30 s apart, 20 a day, for all instances); keeping it`,
      );
    }
    return claimed;
  }
}
