import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { AppMetrics } from '../metrics/app-metrics';
import { AccessTokenHealth, AccessTokenStatus } from './access-token.status';

/**
 * Each app's token as gauges, read from the token slots when Prometheus
 * scrapes (nothing is counted on the request path): seconds left on the held
 * token (0 when none), and whether WeChat refuses our credentials.
 */
@Injectable()
export class AccessTokenGauges {
  constructor(metrics: AppMetrics, health: AccessTokenHealth) {
    const perApp = (name: string, help: string, value: (status: AccessTokenStatus) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['app'] as const,
        registers: [metrics.registry],
        collect() {
          for (const status of health.statusOfAll()) this.set({ app: status.appId }, value(status));
        },
      });
    perApp(
      'wxlogin_wechat_token_expires_in_seconds',
      'Seconds the access token held by this instance has left, by AppID (0: none held)',
      (status) => status.expiresInSec ?? 0,
    );
    perApp(
      'wxlogin_wechat_misconfigured',
      "1 while WeChat refuses this app's credentials or server IP (WECHAT_MISCONFIGURED), by AppID",
      (status) => (status.misconfigured ? 1 : 0),
    );
  }
}
