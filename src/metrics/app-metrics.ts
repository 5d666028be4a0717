import { Injectable, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Seconds: a login answers in tens of milliseconds, a WeChat outage in WECHAT_TIMEOUT_MS (5 s). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric of GET /metrics, in this app's own registry (not prom-client's
 * global one: a test process boots several apps). Label values are bounded
 * sets: route templates, error codes, configured AppIDs, known endpoints and
 * errcodes, never a raw path or a user.
 */
@Injectable()
export class AppMetrics implements OnModuleInit {
  readonly registry = new Registry();

  readonly logins = new Counter({
    name: 'wxlogin_logins_total',
    help: 'Login answers by route kind (phone, silent, register, legacy, refresh) and outcome code (OK or the error code)',
    labelNames: ['kind', 'code'] as const,
    registers: [this.registry],
  });

  readonly errorResponses = new Counter({
    name: 'wxlogin_error_responses_total',
    help: 'Error answers by error code, on every route',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'wxlogin_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template (unmatched for unknown routes) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly wechatCalls = new Counter({
    name: 'wxlogin_wechat_calls_total',
    help: 'WeChat API calls by endpoint and errcode (0: success; transport: network error, timeout or HTTP error; bad_response: malformed answer; other: an errcode not documented for that endpoint)',
    labelNames: ['endpoint', 'errcode'] as const,
    registers: [this.registry],
  });

  readonly wechatCallDuration = new Histogram({
    name: 'wxlogin_wechat_call_duration_seconds',
    help: 'WeChat API call latency by endpoint, failures included',
    labelNames: ['endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly tokenFetches = new Counter({
    name: 'wxlogin_wechat_token_fetches_total',
    help: 'Access-token fetches from WeChat by this instance, by AppID and result (ok, error)',
    labelNames: ['app', 'result'] as const,
    registers: [this.registry],
  });

  readonly forceRefreshes = new Counter({
    name: 'wxlogin_wechat_token_force_refreshes_total',
    help: 'Forced access-token refreshes by AppID and trigger (rejected: WeChat handed back a rejected token; operator: the admin API)',
    labelNames: ['app', 'trigger'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'wxlogin_rate_limited_total',
    help: 'Requests refused by our rate limits, by limit (all, auth, admin)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  /** Only the instance Nest manages collects process metrics (event-loop lag costs a timer). */
  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
