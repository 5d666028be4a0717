import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { metricsConfig } from '../config/metrics.config';

/** Seconds: a login answers in tens of milliseconds, a WeChat outage in WECHAT_TIMEOUT_MS (5 s). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What a metric is when METRICS_ENABLED=false: counting costs a no-op call. */
const NOTHING = {
  inc: () => undefined,
  observe: () => undefined,
  labels: (): unknown => NOTHING,
};

/**
 * Every metric of GET /metrics, in this app's own registry (not prom-client's
 * global one: a test process boots several apps). Label values are bounded
 * sets: route templates, error codes, configured AppIDs, known endpoints and
 * errcodes, never a raw path or a user.
 */
@Injectable()
export class AppMetrics implements OnModuleInit {
  readonly registry = new Registry();
  readonly enabled: boolean;
  readonly logins: Counter<'kind' | 'code'>;
  readonly errorResponses: Counter<'code'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly wechatCalls: Counter<'endpoint' | 'errcode'>;
  readonly wechatCallDuration: Histogram<'endpoint'>;
  readonly tokenFetches: Counter<'app' | 'result'>;
  readonly forceRefreshes: Counter<'app' | 'trigger'>;
  readonly rateLimited: Counter<'limit'>;

  constructor(@Inject(metricsConfig.KEY) config: ConfigType<typeof metricsConfig>) {
    this.enabled = config.enabled;
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      this.enabled ? new Counter({ name, help, labelNames, registers }) : (NOTHING as never);
    const histogram = <L extends string>(name: string, help: string, labelNames: L[]) =>
      this.enabled
        ? new Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers })
        : (NOTHING as never);

    this.logins = counter(
      'wxlogin_logins_total',
      'Login answers by route kind (phone, silent, register, legacy, refresh) and outcome code (OK or the error code)',
      ['kind', 'code'],
    );
    this.errorResponses = counter(
      'wxlogin_error_responses_total',
      'Error answers by error code, on every route',
      ['code'],
    );
    this.httpDuration = histogram(
      'wxlogin_http_request_duration_seconds',
      'HTTP request duration by method, route template (unmatched for unknown routes) and status',
      ['method', 'route', 'status'],
    );
    this.wechatCalls = counter(
      'wxlogin_wechat_calls_total',
      'WeChat API calls by endpoint and errcode (0: success; transport: network error, timeout or HTTP error; bad_response: malformed answer; other: an errcode not documented for that endpoint)',
      ['endpoint', 'errcode'],
    );
    this.wechatCallDuration = histogram(
      'wxlogin_wechat_call_duration_seconds',
      'WeChat API call latency by endpoint, failures included',
      ['endpoint'],
    );
    this.tokenFetches = counter(
      'wxlogin_wechat_token_fetches_total',
      'Access-token fetches from WeChat by this instance, by AppID and result (ok, error)',
      ['app', 'result'],
    );
    this.forceRefreshes = counter(
      'wxlogin_wechat_token_force_refreshes_total',
      'Forced access-token refreshes by AppID and trigger (rejected: WeChat handed back a rejected token; operator: the admin API)',
      ['app', 'trigger'],
    );
    this.rateLimited = counter(
      'wxlogin_rate_limited_total',
      'Requests refused by our rate limits, by limit (all, auth, admin)',
      ['limit'],
    );
  }

  /** Only the instance Nest manages collects process metrics (event-loop lag costs a timer). */
  onModuleInit(): void {
    if (this.enabled) collectDefaultMetrics({ register: this.registry });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
