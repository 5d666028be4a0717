/**
 * Token benchmark: how many access-token fetches one app makes in 24 hours
 * when 4 instances share one database, against the naive "fetch a token for
 * every login" of the original sample.
 *
 *   npm run bench:token [-- --logins-per-tick 1 --hours 24]
 *   (= npx ts-node --transpile-only bench/token-fetches.ts …)
 *
 * Everything runs in this process on a manual clock: 4 AccessTokenService +
 * PhoneService instances (one per simulated app instance) over one SQLite
 * file, each with a real WechatApiClient whose axios adapter answers from one
 * shared in-process WechatSimulator. The clock moves in 15 s steps (the
 * refresh cron's period); at every step all 4 instances run refreshIfDue()
 * concurrently, as their crons would, while a few logins go to random
 * instances. Every call reaching the simulator is counted by path. A short
 * unmeasured warm-up run comes first; wall times are still noisy on a busy
 * machine.
 *
 * It prints one table. It is a script that prints numbers, never a test.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import axios from 'axios';
import { DataSource } from 'typeorm';
import { TokenMode, WechatConfig } from '../src/config/wechat.config';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { AccessTokenFetcher } from '../src/wechat/access-token.fetcher';
import { AccessTokenLease } from '../src/wechat/access-token.lease';
import { AccessTokenScheduler } from '../src/wechat/access-token.scheduler';
import { AccessTokenService } from '../src/wechat/access-token.service';
import { WechatApp, WechatApps } from '../src/wechat/wechat-app';
import { AccessTokenStore } from '../src/wechat/access-token.store';
import { PhoneService } from '../src/wechat/phone.service';
import { simulatorAdapter } from '../src/wechat/simulator/simulator-http.adapter';
import {
  SimulatorAnswer,
  SimulatorRequest,
  TOKEN_TTL_SEC,
  WechatSimulator,
} from '../src/wechat/simulator/wechat-simulator';
import { WechatAccessToken } from '../src/wechat/wechat-access-token.entity';
import { WechatApiClient } from '../src/wechat/wechat-api.client';
import { FixedClock } from '../test/helpers/fixed-clock';
import { argValue } from './support';
import { AppMetrics } from '../src/metrics/app-metrics';

const INSTANCES = 4;
/** The refresh cron's period (REFRESH_CHECK_CRON). */
const TICK_MS = 15_000;
const HOURS = Number(argValue('--hours') ?? 24);
/** 1 per tick is 5760 logins a day: about 3× WeChat's classic-token quota for the naive row, and under a minute in all. */
const LOGINS_PER_TICK = Number(argValue('--logins-per-tick') ?? 1);
const APP = { appId: 'wxbench0000000token', secret: 'bench-token-app-secret-0001' };
const TOKEN_PATHS = new Set(['/cgi-bin/token', '/cgi-bin/stable_token']);
const PHONE_PATH = '/wxa/business/getuserphonenumber';
const START = Date.UTC(2025, 0, 1);

/** Which login, if any, a WeChat call was made for. */
const loginContext = new AsyncLocalStorage<true>();

/** The shared fake WeChat, counting what reaches it. */
class CountingSimulator extends WechatSimulator {
  tokenFetches = 0;
  phoneCalls = 0;
  /** Calls made on a login's own path (token fetches included). */
  loginPathCalls = 0;
  loginPathTokenFetches = 0;

  override handle(request: SimulatorRequest): SimulatorAnswer {
    const token = TOKEN_PATHS.has(request.path);
    if (token) this.tokenFetches += 1;
    if (request.path === PHONE_PATH) this.phoneCalls += 1;
    if (loginContext.getStore()) {
      this.loginPathCalls += 1;
      if (token) this.loginPathTokenFetches += 1;
    }
    return super.handle(request);
  }
}

/** mulberry32: the same instance choices and phone numbers on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Strategy = 'central' | 'naive';

interface Row {
  label: string;
  tokenFetches: number;
  loginPathTokenFetches: number;
  phoneCalls: number;
  logins: number;
  callsPerLogin: number;
  failedLogins: number;
  wallMs: number;
}

interface Instance {
  client: WechatApiClient;
  app: WechatApp;
  schedule: AccessTokenScheduler;
  phones: PhoneService;
}

async function run(
  label: string,
  tokenMode: TokenMode,
  strategy: Strategy,
  hours = HOURS,
): Promise<Row> {
  const startedAt = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'bench-token-'));
  const database = join(dir, 'tokens.sqlite');
  const dataSource = new DataSource(
    buildDataSourceOptions({ type: 'sqlite', database, url: `sqlite:${database}` }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations();

  const clock = new FixedClock(START);
  const simulator = new CountingSimulator(clock, [APP]);
  const config: WechatConfig = {
    apps: [APP],
    appId: APP.appId,
    secret: APP.secret,
    apiBaseUrl: 'https://api.weixin.qq.com',
    tokenMode,
    timeoutMs: 5000,
    simulator: true,
    contentCheck: true,
    simulatorRiskyWords: ['违禁词'],
  };
  const instances: Instance[] = Array.from({ length: INSTANCES }, () => {
    const metrics = new AppMetrics({ enabled: false });
    const http = new HttpService(axios.create({ adapter: simulatorAdapter(simulator) }));
    const client = new WechatApiClient(http, config, metrics);
    const store = new AccessTokenStore(dataSource.getRepository(WechatAccessToken));
    const fetcher = new AccessTokenFetcher(client, store, clock, metrics);
    const apps = new WechatApps(config);
    const tokens = new AccessTokenService(
      new AccessTokenLease(store, fetcher, clock, config),
      clock,
    );
    const schedule = new AccessTokenScheduler(apps, tokens);
    const [app] = apps.all;
    return { client, app, schedule, phones: new PhoneService(client, tokens, clock, config) };
  });

  const next = random(20250101);
  let logins = 0;
  let failedLogins = 0;

  /** One user taps "log in with phone number" in the mini-program. */
  const login = async (): Promise<void> => {
    const instance = instances[Math.floor(next() * INSTANCES)];
    const phone = String(13900000000 + Math.floor(next() * 100_000_000));
    const code = simulator.mintPhoneCode(APP.appId, phone);
    logins += 1;
    try {
      const verified = await loginContext.run(true, () =>
        strategy === 'central'
          ? instance.phones
              .resolvePhone(instance.app, code)
              .then((answer) => answer.purePhoneNumber)
          : naiveLogin(instance.client, instance.app, code),
      );
      if (verified !== phone) failedLogins += 1;
    } catch {
      failedLogins += 1;
    }
  };

  if (strategy === 'central') {
    for (const { schedule } of instances) schedule.onApplicationBootstrap();
  }
  for (let elapsed = 0; elapsed < hours * 3_600_000; elapsed += TICK_MS) {
    clock.set(START + elapsed);
    const work: Promise<void>[] = [];
    if (strategy === 'central') {
      for (const { schedule } of instances) work.push(schedule.refreshIfDue());
    }
    for (let i = 0; i < LOGINS_PER_TICK; i++) work.push(login());
    await Promise.all(work);
  }

  await dataSource.destroy();
  rmSync(dir, { recursive: true, force: true });
  return {
    label,
    tokenFetches: simulator.tokenFetches,
    loginPathTokenFetches: simulator.loginPathTokenFetches,
    phoneCalls: simulator.phoneCalls,
    logins,
    callsPerLogin: simulator.loginPathCalls / logins,
    failedLogins,
    wallMs: performance.now() - startedAt,
  };
}

/** What the original sample did: a fresh classic token for every login. */
async function naiveLogin(client: WechatApiClient, app: WechatApp, code: string): Promise<string> {
  const { accessToken } = await client.fetchAccessToken(app);
  const answer = await client.getUserPhoneNumber(app, accessToken, code);
  const info = answer.phone_info as { purePhoneNumber?: unknown } | undefined;
  return String(info?.purePhoneNumber);
}

function table(rows: Row[]): string {
  const header = [
    'mode',
    'instances',
    'simulated h',
    'token fetches',
    'logins',
    'WeChat calls/login',
    'failed logins',
    'wall time',
  ];
  const cells = rows.map((row) => [
    row.label,
    String(INSTANCES),
    String(HOURS),
    String(row.tokenFetches),
    String(row.logins),
    row.callsPerLogin.toFixed(2),
    String(row.failedLogins),
    `${(row.wallMs / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...cells.map((line) => line[i].length)),
  );
  const line = (values: string[]) =>
    `| ${values.map((value, i) => (i === 0 ? value.padEnd(widths[i]) : value.padStart(widths[i]))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((width, i) => (i === 0 ? ':' : '-') + '-'.repeat(width) + (i === 0 ? '-' : ':')).join('|')}|`,
    ...cells.map(line),
  ].join('\n');
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  // Unmeasured: loads the modules and warms the JIT, so the first row's wall time is comparable.
  await run('warm-up', 'stable', 'central', 2);
  const rows = [
    await run('stable', 'stable', 'central'),
    await run('classic', 'classic', 'central'),
    await run('naive (classic per login)', 'classic', 'naive'),
  ];
  const lifetimeH = TOKEN_TTL_SEC / 3600;
  const target = Math.ceil((HOURS * 3600) / (TOKEN_TTL_SEC - 300));
  process.stdout.write(
    [
      `Access-token fetches of one app, ${INSTANCES} instances on one database, ${HOURS} h simulated in ${TICK_MS / 1000} s ticks, logins per tick: ${LOGINS_PER_TICK}`,
      '',
      table(rows),
      '',
      `Targets: token fetches ≤ ${target} (${lifetimeH} h tokens renewed 5 min early), 1.00 WeChat call per login, 0 failed logins.`,
      "WeChat calls/login counts every call made on a login's own path, token fetches included:",
      ...rows.map(
        (row) =>
          `  ${row.label}: ${row.phoneCalls} getuserphonenumber calls, ${row.loginPathTokenFetches} token fetches on a login's path`,
      ),
      'The naive row fetches a classic token per login (WeChat allows about 2000 a day).',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
