import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { AccessTokenService, USE_MARGIN_MS } from './access-token.service';
import { WechatApps } from './wechat-app';

/** WeChat keeps an old token valid for 5 minutes after a new one is issued, and stable_token renews only in a token's last 5 minutes. */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** How often the scheduled job looks at the shared token. */
export const REFRESH_CHECK_CRON = '*/15 * * * * *';

/**
 * When tokens are fetched without a request asking: every app's at boot, and
 * a renewal once 5 minutes or less are left; every tick also picks up a token
 * another instance fetched.
 */
@Injectable()
export class AccessTokenScheduler implements OnApplicationBootstrap {
  constructor(
    private readonly apps: WechatApps,
    private readonly accessTokens: AccessTokenService,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: a slow WeChat or a busy lease must not hold up boot.
    // Requests that arrive meanwhile join these same flights.
    for (const app of this.apps.all) {
      this.accessTokens.renew(app, USE_MARGIN_MS, 'boot').catch(() => undefined);
    }
  }

  @Cron(REFRESH_CHECK_CRON, { name: 'wechat-access-token-refresh' })
  async refreshIfDue(): Promise<void> {
    await Promise.all(
      this.apps.all.map((app) =>
        // Already logged; the next tick tries again, and the held token (if
        // any) keeps serving until it expires.
        this.accessTokens
          .renew(app, REFRESH_AHEAD_MS, 'expires within 5 minutes')
          .catch(() => undefined),
      ),
    );
  }
}
