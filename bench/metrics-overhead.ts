/**
 * What counting costs a login: the built app with METRICS_ENABLED=true (the
 * default: every request timed by route, every login and WeChat call counted)
 * against the same build with METRICS_ENABLED=false (no middleware, every
 * counter a no-op), alternating so drift on a shared machine hits both alike.
 *
 *   npm run build && npx ts-node --transpile-only bench/metrics-overhead.ts [options]
 *
 *   --connections <n>   concurrent connections (default 50)
 *   --duration <s>      seconds per measured run (default 10)
 *   --rounds <n>        off/on pairs, the order swapped each round (default 4; 0: the
 *                       in-process counting cost only)
 *   --latency <ms>      fake WeChat latency per call (default 25)
 *   --users <n>         users registered first (default 1000; one client IP each)
 *
 * Same fake WeChat (its own process), same SQLite file, same node flags as
 * `npm run bench`; GET /metrics is scraped every second during the "on" runs,
 * as Prometheus would (more often than its usual 15 s). Prints a markdown table,
 * and first what the counting of one login costs in-process (the same calls the
 * middleware and the WeChat client make, 200 000 times): a figure that shared,
 * busy cores blur far less than logins/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchApp, LaunchedApp, PROD_NODE_FLAGS } from '../test/helpers/app-process';
import { httpCall } from '../test/helpers/http-client';
import { CodePool, Fake } from './login/fake';
import { drive } from './login/load';
import { cpuSecondsOf, registerUsers } from './login/measure';
import { DURATION_S, LATENCY_MS, USERS, WARMUP_S } from './login/options';
import { benchAppEnv, killAll, listeningPort, spawnScript, stopChild } from './login/processes';
import { AppMetrics } from '../src/metrics/app-metrics';
import { argValue, BENCH_APPS } from './support';

const CONNECTIONS = Number(argValue('--connections') ?? 50);
const ROUNDS = Number(argValue('--rounds') ?? 4);
const ADMIN_TOKEN = 'bench-admin-token-5d4c3b2a19f8e7d6c5b4a3928170f6e5';

interface Sample {
  metrics: boolean;
  loginsPerSec: number;
  p50: number;
  p99: number;
  cpuMsPerLogin: number;
  failed: number;
}

const log = (line: string) => process.stderr.write(`[metrics-overhead] ${line}\n`);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function start(work: string, fakeUrl: string, metrics: boolean): Promise<LaunchedApp> {
  return launchApp({
    nodeArgs: PROD_NODE_FLAGS,
    cwd: work,
    logFile: join(work, `app-${metrics ? 'on' : 'off'}.log`),
    readyTimeoutMs: 60_000,
    env: {
      ...benchAppEnv(fakeUrl, `sqlite:${join(work, 'bench.sqlite')}`),
      ADMIN_TOKEN,
      METRICS_ENABLED: String(metrics),
    },
  });
}

async function run(work: string, fake: Fake, metrics: boolean): Promise<Sample> {
  const app = await start(work, fake.urls.main, metrics);
  try {
    const pid = app.process.pid as number;
    const warm = await new CodePool(fake, 'main', 20_000).fill(20_000);
    await drive(app.url, warm, { connections: CONNECTIONS }, { duration: WARMUP_S });
    const pool = await new CodePool(fake, 'main', 20_000).fill(40_000);
    const scraper = metrics
      ? setInterval(() => {
          void httpCall('GET', `${app.url}/metrics`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          }).catch(() => undefined);
        }, 1000)
      : undefined;
    const cpuBefore = cpuSecondsOf(pid);
    const result = await drive(
      app.url,
      pool,
      { connections: CONNECTIONS },
      { duration: DURATION_S },
    );
    const cpuUsed = cpuSecondsOf(pid) - cpuBefore;
    if (scraper) clearInterval(scraper);
    const logins = result['2xx'];
    return {
      metrics,
      loginsPerSec: logins / DURATION_S,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuMsPerLogin: (1000 * cpuUsed) / Math.max(1, logins + result.non2xx),
      failed: result.non2xx + result.errors,
    };
  } finally {
    await app.stop();
  }
}

/** Microseconds of CPU the counting of one phone login takes, on and off. */
function countingCostUs(enabled: boolean): number {
  const metrics = new AppMetrics({ enabled });
  const http = metrics.httpDuration.labels('POST', '/auth/wechat/phone-login', '200');
  const rounds = 200_000;
  const run = () => {
    for (let i = 0; i < rounds; i++) {
      const startedAt = process.hrtime.bigint();
      const callStartedAt = process.hrtime.bigint();
      metrics.wechatCalls.inc({ endpoint: 'getuserphonenumber', errcode: '0' });
      metrics.wechatCallDuration.observe(
        { endpoint: 'getuserphonenumber' },
        Number(process.hrtime.bigint() - callStartedAt) / 1e9,
      );
      http.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
      metrics.logins.inc({ kind: 'phone', code: 'OK' });
    }
  };
  run(); // warm-up: the JIT compiles the calls first
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / rounds;
}

async function main(): Promise<void> {
  const on = countingCostUs(true);
  const off = countingCostUs(false);
  process.stdout.write(
    `counting one login in-process: ${on.toFixed(2)} µs of CPU with metrics on, ${off.toFixed(2)} µs off\n\n`,
  );
  if (ROUNDS === 0) return;
  const work = mkdtempSync(join(tmpdir(), 'wxlogin-metrics-bench-'));
  const fakeChild = spawnScript(
    'fake-wechat',
    'test/helpers/fake-wechat-server.ts',
    [
      '--apps',
      `${BENCH_APPS.main.appId}:${BENCH_APPS.main.secret}`,
      '--latency',
      String(LATENCY_MS),
    ],
    join(work, 'fake.log'),
  );
  try {
    const port = await listeningPort(fakeChild, BENCH_APPS.main.appId);
    const url = `http://127.0.0.1:${port}`;
    const fake = new Fake({ main: url, naive: url });
    const first = await start(work, url, true);
    log(`registering ${USERS} users`);
    await registerUsers(first.url, fake);
    await first.stop();

    const samples: Sample[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const metrics of order) {
        const sample = await run(work, fake, metrics);
        log(
          `round ${round + 1} metrics ${metrics ? 'on ' : 'off'}: ${sample.loginsPerSec.toFixed(0)} logins/s, ` +
            `p50 ${sample.p50.toFixed(0)} ms, p99 ${sample.p99.toFixed(0)} ms, ${sample.cpuMsPerLogin.toFixed(2)} ms CPU/login`,
        );
        samples.push(sample);
      }
    }
    print(samples);
  } finally {
    await stopChild(fakeChild);
    rmSync(work, { recursive: true, force: true });
  }
}

function print(samples: Sample[]): void {
  const lines = [
    `${CONNECTIONS} connections, ${DURATION_S} s per run, ${ROUNDS} rounds, fake WeChat latency ${LATENCY_MS} ms, ${USERS} users`,
    '',
    '| run | metrics | logins/s | p50 ms | p99 ms | CPU ms/login | failed |',
    '|---|---|---|---|---|---|---|',
    ...samples.map(
      (s, i) =>
        `| ${i + 1} | ${s.metrics ? 'on' : 'off'} | ${s.loginsPerSec.toFixed(0)} | ${s.p50.toFixed(0)} | ${s.p99.toFixed(0)} | ${s.cpuMsPerLogin.toFixed(2)} | ${s.failed} |`,
    ),
  ];
  for (const metrics of [false, true]) {
    const of = samples.filter((s) => s.metrics === metrics);
    lines.push(
      `| median | ${metrics ? 'on' : 'off'} | ${median(of.map((s) => s.loginsPerSec)).toFixed(0)} | ` +
        `${median(of.map((s) => s.p50)).toFixed(0)} | ${median(of.map((s) => s.p99)).toFixed(0)} | ` +
        `${median(of.map((s) => s.cpuMsPerLogin)).toFixed(2)} | |`,
    );
  }
  const on = median(samples.filter((s) => s.metrics).map((s) => s.loginsPerSec));
  const off = median(samples.filter((s) => !s.metrics).map((s) => s.loginsPerSec));
  const spread = (metrics: boolean) => {
    const values = samples.filter((s) => s.metrics === metrics).map((s) => s.loginsPerSec);
    return ((Math.max(...values) - Math.min(...values)) / median(values)) * 100;
  };
  lines.push(
    '',
    `on/off = ×${(on / off).toFixed(3)} logins/s; run-to-run spread (max−min)/median: ` +
      `off ${spread(false).toFixed(1)} %, on ${spread(true).toFixed(1)} %`,
  );
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  killAll();
  log(String(error instanceof Error ? (error.stack ?? error.message) : error));
  process.exit(1);
});
