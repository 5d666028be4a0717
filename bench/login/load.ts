/** The load: autocannon's closed loop, an open loop at a fixed rate, and their latency summary. */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { CodePool } from './fake';
import { CLIENTS } from './options';

// ---------------------------------------------------------------- autocannon
// No @types/autocannon in the repo: the part of its API used here.
export interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: CannonRequest) => CannonRequest;
}
export interface CannonOptions {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  connections: number;
  duration?: number;
  amount?: number;
  timeout?: number;
  requests: CannonRequest[];
}
export interface CannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  latency: { p50: number; p99: number; max: number; average: number };
  requests: { total: number };
  statusCodeStats: Record<string, { count: number }>;
  /** Closed loop: the slowest first request of a connection (its TCP connect included). */
  firstRequestMax?: number;
}
export interface CannonTracker extends Promise<CannonResult> {
  on(
    event: 'response',
    listener: (client: object, status: number, bytes: number, ms: number) => void,
  ): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const autocannon = require('autocannon') as (options: CannonOptions) => CannonTracker;

export let clientCounter = 0;

/** A load: connections, closed loop unless a fixed arrival rate (logins/s) is given. */
export interface Level {
  connections: number;
  rate?: number;
}

export function labelOf(level: Level): string {
  return level.rate ? `${level.connections} @ ${level.rate}/s` : String(level.connections);
}

export async function drive(
  url: string,
  pool: CodePool,
  level: Level,
  limit: { duration: number } | { amount: number },
  timeoutS = 10,
): Promise<CannonResult> {
  if (level.rate && 'duration' in limit) {
    return openLoop(url, pool, level.rate, level.connections, limit.duration, timeoutS);
  }
  const tracker = autocannon({
    url: `${url}/auth/wechat/phone-login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: level.connections,
    timeout: timeoutS,
    ...limit,
    requests: [
      {
        method: 'POST',
        path: '/auth/wechat/phone-login',
        setupRequest: (request) => ({
          ...request,
          headers: {
            ...request.headers,
            'content-type': 'application/json',
            ...(CLIENTS > 0 ? { 'x-forwarded-for': clientIp(clientCounter++ % CLIENTS) } : {}),
          },
          body: JSON.stringify({ code: pool.take() }),
        }),
      },
    ],
  });
  // autocannon opens every connection at once when a level starts, and times
  // a connection's first request from before its TCP connect. Against a
  // server whose event loop is already saturated, some of those connects
  // take seconds, which says nothing about login latency on the kept-alive
  // connections a load balancer holds. So p50/p99/max are taken over the
  // other requests, and the first requests' worst time is reported apart.
  const seen = new WeakSet<object>();
  const steady: number[] = [];
  let firstRequestMax = 0;
  tracker.on('response', (client: object, _status: number, _bytes: number, ms: number) => {
    if (seen.has(client)) {
      steady.push(ms);
    } else {
      seen.add(client);
      firstRequestMax = Math.max(firstRequestMax, ms);
    }
  });
  const result = await tracker;
  // A cold burst sends one request per connection: its latency is the connect.
  if (!('duration' in limit)) return result;
  return { ...result, latency: summarize(steady), firstRequestMax };
}

/** p50/p99/max/mean of latencies in ms, in autocannon's result shape (0 when there are none). */
export function summarize(latencies: number[]): CannonResult['latency'] {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? 0,
    average: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

/**
 * Open loop: one login every 1/rate s, evenly spaced, whatever the answers do,
 * over at most `connections` keep-alive connections; latency counts from the
 * scheduled send, so time spent waiting for a free connection is included.
 * (autocannon's `overallRate` sends each connection's quota at the top of every
 * second, in synchronised bursts, and back-fills latencies as if one request per
 * millisecond had been due; neither is a steady arrival rate.)
 */
export async function openLoop(
  url: string,
  pool: CodePool,
  rate: number,
  connections: number,
  durationS: number,
  timeoutS: number,
): Promise<CannonResult> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: connections });
  const target = new URL(`${url}/auth/wechat/phone-login`);
  const latencies: number[] = [];
  const statusCodeStats: Record<string, { count: number }> = {};
  let errors = 0;
  let timeouts = 0;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (dueAt: number) => {
    const body = JSON.stringify({ code: pool.take() });
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...(CLIENTS > 0 ? { 'x-forwarded-for': clientIp(clientCounter++ % CLIENTS) } : {}),
    };
    const done = new Promise<void>((resolveDone) => {
      const req = httpRequest(
        target,
        { method: 'POST', agent, headers, timeout: timeoutS * 1000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = String(res.statusCode);
            statusCodeStats[status] = { count: (statusCodeStats[status]?.count ?? 0) + 1 };
            latencies.push(performance.now() - dueAt);
            resolveDone();
          });
        },
      );
      req.on('timeout', () => {
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => {
        errors++;
        resolveDone();
      });
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const startedAt = performance.now();
  const total = Math.floor(durationS * rate);
  while (sent < total) {
    const due = Math.min(Math.floor(((performance.now() - startedAt) * rate) / 1000) + 1, total);
    for (; sent < due; sent++) send(startedAt + (sent * 1000) / rate);
    await new Promise((r) => setTimeout(r, 1));
  }
  const sendingEndedAt = performance.now();
  await Promise.all(inFlight);
  agent.destroy();
  const ok = Object.entries(statusCodeStats)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, { count }]) => sum + count, 0);
  return {
    '2xx': ok,
    non2xx: latencies.length - ok,
    errors,
    timeouts,
    duration: (sendingEndedAt - startedAt) / 1000,
    latency: summarize(latencies),
    requests: { total: sent },
    statusCodeStats,
  };
}

export function clientIp(n: number): string {
  return `10.77.${(n >> 8) & 255}.${n & 255}`;
}

export function statusSummary(result: CannonResult): string {
  return [
    ...Object.entries(result.statusCodeStats)
      .filter(([status]) => !status.startsWith('2'))
      .map(([status, { count }]) => `${status}×${count}`),
    ...(result.timeouts > 0 ? [`timeouts×${result.timeouts}`] : []),
  ].join(' ');
}
