/**
 * Soak: the built app at moderate load for a long time, on MariaDB, to show
 * that memory, latency and the token schedule hold.
 *
 *   npm run bench:soak [-- --minutes 20 --rate 150 …]
 *   (= npm run build && ts-node --transpile-only bench/soak.ts …)
 *
 *   --minutes <n>     length of the load (default 20)
 *   --rate <n>        requests per second, open loop (default 150)
 *   --mix <p,r,s>     % phone-login, refresh, silent session login (default 70,20,10)
 *   --users <n>       users registered (and bound to an openid) first (default 1000)
 *   --latency <ms>    fake WeChat latency per call (default 25)
 *   --token-ttl <s>   expires_in of the fake's access tokens (default 600: the app's
 *                     scheduled job renews 5 minutes before expiry, so every ~5 min)
 *   --mysql <url>     MySQL/MariaDB server (default
 *                     mysql://root@127.0.0.1:3306/); a `wxlogin_soak_<random>` database is
 *                     created there and dropped at the end
 *   --out <prefix>    files written: <prefix>.png, <prefix>-samples.csv/.json (default bench/soak)
 *   --replot          only redraw <prefix>.png from <prefix>-samples.json (no run)
 *   --nice <n>        scheduling priority of this bench's processes (app, fake WeChat, load
 *                     generator), e.g. -10 on a machine busy with other work, so the soak
 *                     measures the app rather than its neighbours (default: unchanged). With
 *                     the kernel's autogroups (/proc/sys/kernel/sched_autogroup_enabled) CPU
 *                     is shared between sessions first, so it is set on this session's
 *                     autogroup (restored at the end). The load is a fixed rate: it takes only
 *                     the CPU it needs either way.
 *
 * The app is dist/main.js with the node flags of `npm run start:prod`
 * (NODE_ENV=production, LOG_LEVEL=warn); the fake WeChat (test/helpers/fake-wechat-server.ts)
 * runs in its own process. Every 10 s it samples the app's RSS and CPU, the
 * window's p50/p99 (from each request's due time), failures, the rate achieved
 * and WeChat's calls; at the end it prints the verdicts and writes the chart and
 * the samples. It is a script that prints numbers, never a test.
 */
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { PROD_NODE_FLAGS } from '../test/helpers/app-process';
import { httpCall } from '../test/helpers/http-client';
import { REFRESH_AHEAD_MS } from '../src/wechat/access-token.scheduler';
import { Fake } from './login/fake';
import { cpuSecondsOf, foreignLoad, registerUsers } from './login/measure';
import { LATENCY_MS, ROOT, USERS } from './login/options';
import { listeningPort, runBench, spawnScript, startApp, stopChild } from './login/processes';
import { revision } from './login/report';
import { withOwnDatabase } from './own-database';
import { CodeSupply, KINDS, Kind, MixedLoad, quantile, Window } from './soak/load';
import { chart, Sample, SoakSettings, verdicts, write } from './soak/report';
import { argValue, BENCH_APPS, hasFlag, statusMb } from './support';

const MINUTES = Number(argValue('--minutes') ?? 20);
const RATE = Number(argValue('--rate') ?? 150);
const [PHONE, REFRESH, SILENT] = (argValue('--mix') ?? '70,20,10').split(',').map(Number);
const TOKEN_TTL_S = Number(argValue('--token-ttl') ?? 600);
const MYSQL_URL = argValue('--mysql') ?? 'mysql://root@127.0.0.1:3306/';
const OUT = resolve(argValue('--out') ?? join(ROOT, 'bench/soak'));
const WINDOW_S = 10;
/** The app's scheduled token job runs every 15 s (REFRESH_CHECK_CRON). */
const REFRESH_TICK_S = 15;
const NICE = argValue('--nice');
const OPENID_PREFIX = 'o_soak_';

const log = (line: string) =>
  process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** Every user also gets an openid (`o_soak_<i>`), bound by a phone login that carries a wx.login code. */
async function bindOpenids(url: string, fake: Fake): Promise<string[]> {
  const phoneCodes = await fake.mint('main', USERS);
  const loginCodes = await mintLoginCodes(fake, USERS);
  const refreshTokens: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < USERS; i = next++) {
      const answer = await httpCall('POST', `${url}/auth/wechat/phone-login`, {
        json: { code: phoneCodes[i], loginCode: loginCodes[i] },
      });
      const body = answer.body as { refreshToken?: string; wechatAccountBound?: boolean };
      if (answer.status !== 200 || body.wechatAccountBound !== true) {
        throw new Error(`binding user ${i}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
      refreshTokens.push(body.refreshToken as string);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return refreshTokens;
}

async function mintLoginCodes(fake: Fake, n: number): Promise<string[]> {
  const answer = await httpCall(
    'POST',
    `${fake.urls.main}/__control/login-codes?n=${n}&from=0&count=${USERS}&prefix=${OPENID_PREFIX}`,
    { timeoutMs: 60_000 },
  );
  return (answer.body as { codes: string[] }).codes;
}

/** Polls the fake's token-fetch counter every second; the times (ms, Date.now()) of each new fetch. */
function watchTokenFetches(fake: Fake): { times: number[]; stop(): void } {
  const times: number[] = [];
  let seen = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void fake
      .stats('main')
      .then((counts) => {
        for (; seen < counts.tokenFetches; seen++) times.push(Date.now());
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 1000);
  return { times, stop: () => clearInterval(timer) };
}

function cpuPressure(): number {
  try {
    return Number(
      /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? NaN,
    );
  } catch {
    return NaN;
  }
}

function sampleOf(
  window: Window,
  t: number,
  windowS: number,
  resources: { rssMb: number; appCpuPct: number; foreignCpuPct: number },
  wechat: { tokenFetches: number; phoneCalls: number; otherCalls: number; phoneErrors: number },
): Sample {
  const all = window.all();
  const answered = window.ok + window.non2xx;
  return {
    t,
    windowS,
    ...resources,
    loadAvg1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
    cpuPressurePct: cpuPressure(),
    sent: window.sent,
    answered,
    ok: window.ok,
    non2xx: window.non2xx,
    errors: window.errors,
    starved: window.starved,
    rate: answered / windowS,
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    max: all.length ? Math.max(...all) : NaN,
    p99ByKind: Object.fromEntries(
      KINDS.map((k) => [k, quantile(window.latencies[k], 0.99)]),
    ) as Record<Kind, number>,
    countByKind: Object.fromEntries(KINDS.map((k) => [k, window.latencies[k].length])) as Record<
      Kind,
      number
    >,
    ...wechat,
  };
}

/** --replot: the chart again from the samples a run wrote. */
function replot(): void {
  const saved = JSON.parse(readFileSync(`${OUT}-samples.json`, 'utf8')) as {
    settings: SoakSettings;
    tokenFetchTimes: number[];
    samples: Sample[];
  };
  chart(`${OUT}.png`, saved.samples, saved.settings, saved.tokenFetchTimes);
  log(`wrote ${OUT}.png`);
}

async function main(): Promise<void> {
  if (hasFlag('--replot')) return replot();
  if (PHONE + REFRESH + SILENT !== 100) throw new Error('--mix must add up to 100');
  await withOwnDatabase({ name: 'soak', mysqlUrl: MYSQL_URL, nice: NICE, log }, (setting) =>
    soak(setting.work, setting.databaseUrl, setting.databaseLabel),
  );
}

async function soak(work: string, databaseUrl: string, dbLabel: string): Promise<void> {
  log(
    `work dir ${work}; database ${dbLabel}; ${MINUTES} min at ${RATE}/s (${PHONE}/${REFRESH}/${SILENT} % phone/refresh/silent)`,
  );
  const app = BENCH_APPS.main;
  const fakeChild = spawnScript(
    'fake-wechat',
    'test/helpers/fake-wechat-server.ts',
    [
      '--apps',
      `${app.appId}:${app.secret}`,
      '--latency',
      String(LATENCY_MS),
      '--token-ttl',
      String(TOKEN_TTL_S),
    ],
    join(work, 'fake.log'),
  );
  const fakeUrl = `http://127.0.0.1:${await listeningPort(fakeChild, app.appId)}`;
  const fake = new Fake({ main: fakeUrl, naive: fakeUrl });
  const fetches = watchTokenFetches(fake);

  const started = await startApp(work, fakeUrl, databaseUrl, 'app', 'ready');
  const pid = started.child.proc.pid as number;
  if (NICE !== undefined) {
    for (const member of [process.pid, pid, fakeChild.proc.pid as number])
      setPriority(member, Number(NICE));
  }
  log(`app ready (pid ${pid}); registering ${USERS} users and binding their openids`);
  await registerUsers(started.url, fake);
  const refreshTokens = await bindOpenids(started.url, fake);

  const perSecond = (share: number) => (RATE * share) / 100;
  const sources = {
    // Codes expire 5 minutes after minting: chunks of ~40 s of load, refilled at half.
    phoneCodes: await new CodeSupply(
      (n) => fake.mint('main', n),
      Math.max(500, Math.ceil(perSecond(PHONE) * 40)),
    ).fill(),
    loginCodes: await new CodeSupply(
      (n) => mintLoginCodes(fake, n),
      Math.max(500, Math.ceil(perSecond(SILENT) * 40)),
    ).fill(),
    refreshTokens,
    clients: USERS,
  };
  const load = new MixedLoad(
    started.url,
    RATE,
    { phone: PHONE, refresh: REFRESH, silent: SILENT },
    sources,
  );

  const samples: Sample[] = [];
  const loadStart = Date.now();
  let last = {
    at: performance.now(),
    cpu: cpuSecondsOf(pid),
    wechat: await fake.stats('main'),
    foreign: foreignLoad(),
  };
  const takeSample = async () => {
    const window = load.takeWindow();
    const now = performance.now();
    const cpu = cpuSecondsOf(pid);
    const wechat = await fake.stats('main');
    const windowS = (now - last.at) / 1000;
    const sample = sampleOf(
      window,
      (Date.now() - loadStart) / 1000,
      windowS,
      {
        rssMb: statusMb(pid, 'VmRSS'),
        appCpuPct: (100 * (cpu - last.cpu)) / windowS,
        foreignCpuPct: last.foreign(),
      },
      {
        tokenFetches: wechat.tokenFetches - last.wechat.tokenFetches,
        phoneCalls: wechat.phoneCalls - last.wechat.phoneCalls,
        otherCalls: wechat.otherCalls - last.wechat.otherCalls,
        phoneErrors: wechat.phoneErrors - last.wechat.phoneErrors,
      },
    );
    last = { at: now, cpu, wechat, foreign: foreignLoad() };
    samples.push(sample);
    log(
      `t=${sample.t.toFixed(0)}s rss ${sample.rssMb.toFixed(1)} MB cpu ${sample.appCpuPct.toFixed(0)} % ` +
        `rate ${sample.rate.toFixed(1)}/s p50 ${sample.p50.toFixed(1)} p99 ${sample.p99.toFixed(1)} ms ` +
        `failed ${sample.non2xx + sample.errors + sample.starved} token fetches ${sample.tokenFetches} ` +
        `other CPU ${sample.foreignCpuPct.toFixed(0)} % cpu pressure ${sample.cpuPressurePct} %` +
        (window.firstFailures.length ? `\n  ${window.firstFailures.join('\n  ')}` : ''),
    );
  };
  log(`load starts: ${MINUTES} min`);
  const sampler = setInterval(() => void takeSample(), WINDOW_S * 1000);
  await load.run(performance.now() + MINUTES * 60_000);
  clearInterval(sampler);
  // The answers still in flight at the stop (a short last window).
  await takeSample();
  await new Promise((r) => setTimeout(r, 1500));
  fetches.stop();
  await stopChild(started.child);
  await stopChild(fakeChild);

  const settings: SoakSettings = {
    minutes: MINUTES,
    rate: RATE,
    mix: { phone: PHONE, refresh: REFRESH, silent: SILENT },
    users: USERS,
    latencyMs: LATENCY_MS,
    tokenTtlSec: TOKEN_TTL_S,
    refreshAheadS: REFRESH_AHEAD_MS / 1000,
    refreshTickS: REFRESH_TICK_S,
    database: dbLabel,
    nodeFlags: PROD_NODE_FLAGS.join(' '),
    revision: revision(),
  };
  const fetchTimes = fetches.times.map((at) => (at - loadStart) / 1000);
  const results = verdicts(samples, settings, fetchTimes, load.sentByKind.phone);
  const files = write(OUT, samples, settings, fetchTimes, results);
  const lines = [
    `Soak — ${MINUTES} min at ${RATE} requests/s (open loop; ${PHONE} % phone-login, ${REFRESH} % refresh, ${SILENT} % silent session login), ${USERS} users`,
    `app: node ${settings.nodeFlags} dist/main.js of ${settings.revision} (NODE_ENV=production, LOG_LEVEL=warn); database ${settings.database}`,
    `fake WeChat in its own process: ${LATENCY_MS} ms per call, access tokens expire_in ${TOKEN_TTL_S} s` +
      (NICE === undefined ? '' : `; app, fake and load generator at nice ${NICE}`),
    '',
    ...results.map((v) => `${v.pass ? 'PASS' : 'FAIL'}  ${v.label}\n      ${v.detail}`),
    '',
    `wrote ${files.map((f) => f.replace(`${ROOT}/`, '')).join(', ')}`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

runBench('soak', main);
