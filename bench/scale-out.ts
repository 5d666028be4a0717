/**
 * Scale-out: logins/s with 1, 2 and 3 app processes behind the round-robin
 * proxy, on MariaDB with the rate limits shared through Redis, and where each
 * run's CPU went (app processes, proxy, MariaDB, Redis, fake WeChat, load
 * generator, everything else on the machine).
 *
 *   npm run bench:scale [-- --instances 1,2,3 --seconds 20 …]
 *   (= npm run build && ts-node --transpile-only bench/scale-out.ts …)
 *
 *   --instances <list>   app processes per point (default 1,2,3)
 *   --seconds <n>        measured seconds per point (default 20, after a 5 s warm-up)
 *   --connections <n>    concurrent connections, closed loop (default 200)
 *   --no-direct          skip the first point: one app with no proxy in front
 *   --users <n>          users registered first (default 1000)
 *   --latency <ms>       fake WeChat latency per call (default 25)
 *   --mysql <url>        MySQL/MariaDB server (default
 *                        mysql://root@127.0.0.1:3306/); a `wxlogin_scale_<random>` database is
 *                        created there and dropped at the end
 *   --redis <url>        REDIS_URL of the apps (default redis://127.0.0.1:6379)
 *   --nice <n>           nice of this session's autogroup while it runs (see bench/soak.ts): on a
 *                        machine shared with other sessions, how much of the cores this bench
 *                        may take (the load is a closed loop: it takes all it is given)
 *
 * The apps are dist/main.js with the node flags of `npm run start:prod`; the
 * proxy (bench/scale/proxy.ts) and the fake WeChat run in processes of their
 * own, autocannon in this one. It prints one table. A script that prints
 * numbers, never a test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROD_NODE_FLAGS } from '../test/helpers/app-process';
import { CodePool, delta, Fake } from './login/fake';
import { drive, statusSummary } from './login/load';
import { cpuSecondsOf, registerUsers, settle } from './login/measure';
import { CLOCK_TICKS, LATENCY_MS, USERS } from './login/options';
import {
  Child,
  runBench,
  listeningPort,
  spawnScript,
  startApp,
  Started,
  stopChild,
} from './login/processes';
import { revision } from './login/report';
import { withOwnDatabase } from './own-database';
import { argValue, BENCH_APPS, hasFlag, statusMb } from './support';

const INSTANCES = (argValue('--instances') ?? '1,2,3').split(',').map(Number);
const SECONDS = Number(argValue('--seconds') ?? 20);
const CONNECTIONS = Number(argValue('--connections') ?? 200);
const DIRECT = !hasFlag('--no-direct');
const WARMUP_S = 5;
const MYSQL_URL = argValue('--mysql') ?? 'mysql://root@127.0.0.1:3306/';
const REDIS_URL = argValue('--redis') ?? 'redis://127.0.0.1:6379';

const NICE = argValue('--nice');

const log = (line: string) => process.stderr.write(`[scale] ${line}\n`);

/** Processes on this machine by name (/proc/<pid>/comm), e.g. the database server. */
function pidsNamed(...names: string[]): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * The database server behind `url`: among the mariadbd/mysqld processes, the
 * one started with `--port=<port>`, else those started without a --port (the
 * machine's server on its configured port). Another server's CPU is not ours.
 */
function databasePids(url: string): number[] {
  const port = new URL(url.replace(/^mariadb:/, 'mysql:')).port || '3306';
  const servers = pidsNamed('mariadbd', 'mysqld').map((pid) => ({
    pid,
    args: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'),
  }));
  const exact = servers.filter((s) => s.args.includes(`--port=${port}`));
  if (exact.length > 0) return exact.map((s) => s.pid);
  return servers.filter((s) => !s.args.some((arg) => arg.startsWith('--port'))).map((s) => s.pid);
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineSeconds(): { busy: number; total: number } {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / CLOCK_TICKS, total: (busy + idle + iowait) / CLOCK_TICKS };
}

interface Point {
  label: string;
  instances: number;
  loginsPerSec: number;
  p50: number;
  p99: number;
  failures: string;
  failed: number;
  phoneCallsPerLogin: number;
  /** % of one core per process (app processes one by one). */
  appCpu: number[];
  proxyCpu: number;
  mariadbCpu: number;
  redisCpu: number;
  fakeCpu: number;
  loadGenCpu: number;
  /** Everything else on the machine (other users' jobs), % of one core. */
  otherCpu: number;
  /** Whole machine, % of all cores. */
  machineBusyPct: number;
  appCpuMsPerLogin: number;
  totalCpuMsPerLogin: number;
  appRssMb: number[];
}

async function measurePoint(
  label: string,
  apps: Started[],
  target: { url: string; proxy?: Child },
  fake: Fake,
  fakeChild: Child,
): Promise<Point> {
  const guess = Math.ceil(2000 * (SECONDS + WARMUP_S));
  const pool = await new CodePool(fake, 'main', 20_000).fill(guess);
  log(`${label}: warm-up ${WARMUP_S} s, then ${SECONDS} s at ${CONNECTIONS} connections`);
  await drive(target.url, pool, { connections: CONNECTIONS }, { duration: WARMUP_S });
  await settle(fake, 'main');

  const appPids = apps.map((app) => app.child.proc.pid as number);
  const groups: Record<string, number[]> = {
    proxy: target.proxy ? [target.proxy.proc.pid as number] : [],
    mariadb: databasePids(MYSQL_URL),
    redis: pidsNamed('redis-server'),
    fake: [fakeChild.proc.pid as number],
  };
  const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  const before = {
    apps: appPids.map(cpuSecondsOf),
    groups: Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, cpuOf(pids)])),
    self: process.cpuUsage(),
    machine: machineSeconds(),
    wechat: await fake.stats('main'),
    taken: pool.taken,
  };
  const result = await drive(target.url, pool, { connections: CONNECTIONS }, { duration: SECONDS });
  const wall = result.duration;
  const self = process.cpuUsage(before.self);
  const machine = machineSeconds();
  const appCpuS = appPids.map((pid, i) => cpuSecondsOf(pid) - before.apps[i]);
  const groupCpuS = Object.fromEntries(
    Object.entries(groups).map(([k, pids]) => [k, cpuOf(pids) - before.groups[k]]),
  );
  const loadGenS = (self.user + self.system) / 1e6;
  const busyS = machine.busy - before.machine.busy;
  const oursS =
    appCpuS.reduce((a, b) => a + b, 0) +
    Object.values(groupCpuS).reduce((a, b) => a + b, 0) +
    loadGenS;
  const appRssMb = appPids.map((pid) => statusMb(pid, 'VmRSS'));
  await settle(fake, 'main');
  const used = delta(await fake.stats('main'), before.wechat);
  const logins = result['2xx'];
  const pct = (seconds: number) => (100 * seconds) / wall;
  return {
    label,
    instances: apps.length,
    loginsPerSec: logins / wall,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: statusSummary(result),
    failed: result.non2xx + result.errors,
    // Per request sent in the measured seconds (the warm-up's are not counted): 1.00 = no retries.
    phoneCallsPerLogin: used.phoneCalls / Math.max(1, pool.taken - before.taken),
    appCpu: appCpuS.map(pct),
    proxyCpu: pct(groupCpuS.proxy),
    mariadbCpu: pct(groupCpuS.mariadb),
    redisCpu: pct(groupCpuS.redis),
    fakeCpu: pct(groupCpuS.fake),
    loadGenCpu: pct(loadGenS),
    otherCpu: pct(Math.max(0, busyS - oursS)),
    machineBusyPct: (100 * busyS) / Math.max(1e-9, machine.total - before.machine.total),
    appCpuMsPerLogin: (1000 * appCpuS.reduce((a, b) => a + b, 0)) / Math.max(1, logins),
    totalCpuMsPerLogin: (1000 * oursS) / Math.max(1, logins),
    appRssMb,
  };
}

function table(points: Point[]): string[] {
  const header = [
    'app processes',
    'logins/s',
    'p50 ms',
    'p99 ms',
    'failed',
    'wx phone/login',
    'CPU % per app process',
    'proxy %',
    'MariaDB %',
    'Redis %',
    'fake WeChat %',
    'load gen %',
    'other %',
    'machine busy %',
    'app CPU ms/login',
    'all CPU ms/login',
    'app RSS MB',
  ];
  const f = (n: number) => n.toFixed(0);
  const rows = points.map((p) => [
    p.label,
    f(p.loginsPerSec),
    f(p.p50),
    f(p.p99),
    p.failed === 0 ? '0' : `${p.failed} (${p.failures})`,
    p.phoneCallsPerLogin.toFixed(2),
    p.appCpu.map(f).join(' + '),
    f(p.proxyCpu),
    f(p.mariadbCpu),
    f(p.redisCpu),
    f(p.fakeCpu),
    f(p.loadGenCpu),
    f(p.otherCpu),
    f(p.machineBusyPct),
    p.appCpuMsPerLogin.toFixed(2),
    p.totalCpuMsPerLogin.toFixed(2),
    p.appRssMb.map(f).join(' / '),
  ]);
  const lines = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...lines.map((row) => row[i].length)));
  const format = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)];
}

async function main(): Promise<void> {
  await withOwnDatabase({ name: 'scale', mysqlUrl: MYSQL_URL, nice: NICE, log }, (setting) =>
    scale(setting.work, setting.databaseUrl, setting.databaseLabel),
  );
}

async function scale(work: string, databaseUrl: string, dbLabel: string): Promise<void> {
  log(
    `work dir ${work}; database ${dbLabel}; Redis ${REDIS_URL}; fake WeChat latency ${LATENCY_MS} ms`,
  );
  const { appId, secret } = BENCH_APPS.main;
  const fakeChild = spawnScript(
    'fake-wechat',
    'test/helpers/fake-wechat-server.ts',
    ['--apps', `${appId}:${secret}`, '--latency', String(LATENCY_MS)],
    join(work, 'fake.log'),
  );
  const fakeUrl = `http://127.0.0.1:${await listeningPort(fakeChild, appId)}`;
  const fake = new Fake({ main: fakeUrl, naive: fakeUrl });

  // Started one after the other: the first creates the schema, the others find it.
  const apps: Started[] = [];
  for (let i = 0; i < Math.max(...INSTANCES); i++) {
    apps.push(
      await startApp(work, fakeUrl, databaseUrl, `app-${i + 1}`, 'ready', { env: { REDIS_URL } }),
    );
  }
  log(`${apps.length} app processes ready; registering ${USERS} users`);
  await registerUsers(apps[0].url, fake);

  const points: Point[] = [];
  if (DIRECT)
    points.push(
      await measurePoint('1, no proxy', apps.slice(0, 1), { url: apps[0].url }, fake, fakeChild),
    );
  for (const n of INSTANCES) {
    const members = apps.slice(0, n);
    const proxy = spawnScript(
      `proxy-${n}`,
      'bench/scale/proxy.ts',
      ['--backends', members.map((app) => new URL(app.url).port).join(',')],
      join(work, `proxy-${n}.log`),
    );
    const url = `http://127.0.0.1:${await listeningPort(proxy)}`;
    points.push(
      await measurePoint(`${n} behind the proxy`, members, { url, proxy }, fake, fakeChild),
    );
    await stopChild(proxy);
  }
  for (const app of apps) await stopChild(app.child);
  await stopChild(fakeChild);

  const output = [
    `Scale-out — POST /auth/wechat/phone-login, ${CONNECTIONS} connections (closed loop), ${SECONDS} s per point after a ${WARMUP_S} s warm-up; ${USERS} users`,
    `apps: node ${PROD_NODE_FLAGS.join(' ')} dist/main.js of ${revision()} (NODE_ENV=production, LOG_LEVEL=warn), database ${dbLabel}, REDIS_URL (shared rate limits)`,
    `proxy: test/helpers/round-robin-proxy.ts in its own process; fake WeChat in its own process, ${LATENCY_MS} ms per call; load generator: autocannon in the bench process`,
    `CPU %: of one core over the measured seconds (2 cores = 200 %); other: every process outside this bench, the database and Redis (other jobs on the shared machine)`,
    `all CPU ms/login: apps + proxy + MariaDB + Redis + fake + load generator, per login` +
      (NICE === undefined ? '' : `; this session's processes at autogroup nice ${NICE}`),
    '',
    ...table(points),
  ];
  process.stdout.write(`\n${output.join('\n')}\n`);
}

runBench('scale', main);
