/** One measured level, the warm-up, the users' registration and the cold burst. */
import { readFileSync } from 'node:fs';
import { httpCall } from '../../test/helpers/http-client';
import { BenchApp, benchPhone, processTree, statusMb } from '../support';
import { CodePool, delta, Fake } from './fake';
import { drive, Level, labelOf, statusSummary } from './load';
import { BURST, CLOCK_TICKS, DURATION_S, LATENCY_MS, USERS, WARMUP_S } from './options';
import { children, startApp, stopChild, waitFor } from './processes';

// ---------------------------------------------------------------- measuring
/** ours: the app; naive: token per login (bare node:http); reference: the same bare server with a cached token. */
/** (bench/ab.ts names its builds of the app `A`, `B` and `C`.) */
export type Server = 'ours' | 'naive' | 'reference' | 'A' | 'B' | 'C';

export interface Run {
  server: Server;
  connections: number;
  /** Fixed arrival rate (open loop), if any. */
  rate?: number;
  label: string;
  loginsPerSec: number;
  p50: number;
  p99: number;
  /** Latencies of a closed loop leave out each connection's first request (see drive()). */
  max: number;
  /** Closed loop: the slowest first request of a connection, its TCP connect included. */
  firstRequestMax?: number;
  non2xx: number;
  errors: number;
  statuses: string;
  phoneCallsPerLogin: number;
  tokenFetches: number;
  peakRssMb: number;
  cpuMsPerLogin: number;
  /** % of all CPUs used by other processes (and steal) during the level. */
  foreignPct: number;
  /** Date.now() when the load started and stopped (for --profile windows). */
  startedAt: number;
  endedAt: number;
}

export function rssOf(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

/** Peak RSS over the process's life (summed over its tree: an upper bound for workers). */
export function hwmOf(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

/** user + system CPU seconds used by the process tree (/proc/<pid>/stat, in clock ticks). */
export function cpuSecondsOf(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${member}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / CLOCK_TICKS;
}

/**
 * CPU the machine spent on anything but this benchmark's processes (other
 * users' jobs, hypervisor steal), as a share of all CPUs: a level measured
 * while someone else's tests ran says so in the table.
 */
export function foreignLoad(): () => number {
  const ours = () =>
    [...children].reduce((sum, child) => sum + cpuSecondsOf(child.proc.pid as number), 0) +
    (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const machine = () => {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1, 9)
      .map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
    return {
      busy: (user + nice + system + irq + softirq + steal) / CLOCK_TICKS,
      total: (user + nice + system + idle + iowait + irq + softirq + steal) / CLOCK_TICKS,
    };
  };
  const ours0 = ours();
  const machine0 = machine();
  return () => {
    const machine1 = machine();
    const busy = machine1.busy - machine0.busy - (ours() - ours0);
    return Math.max(0, (100 * busy) / Math.max(1e-9, machine1.total - machine0.total));
  };
}

/** Waits until the fake sees no new phone calls: the backlog of the previous load is done. */
export async function settle(fake: Fake, app: BenchApp): Promise<void> {
  let last = -1;
  const giveUpAt = Date.now() + 30_000;
  while (Date.now() < giveUpAt) {
    const calls = (await fake.stats(app)).phoneCalls;
    if (calls === last) return;
    last = calls;
    await new Promise((r) => setTimeout(r, Math.max(300, LATENCY_MS * 4)));
  }
}

export function sampleRss(pid: number): () => number {
  let peak = rssOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssOf(pid));
  };
}

export async function measure(
  server: Server,
  target: { url: string; pid: number },
  fake: Fake,
  level: Level,
  expectedRate: number,
): Promise<Run> {
  const { connections } = level;
  const app: BenchApp = server === 'naive' || server === 'reference' ? 'naive' : 'main';
  const guess = Math.ceil(expectedRate * DURATION_S * 1.5) + connections * 2 + 500;
  const pool = await new CodePool(fake, app, Math.max(5000, Math.ceil(guess / 2))).fill(guess);
  const before = await fake.stats(app);
  const peakRss = sampleRss(target.pid);
  const cpuBefore = cpuSecondsOf(target.pid);
  const foreign = foreignLoad();
  const startedAt = Date.now();
  const result = await drive(target.url, pool, level, { duration: DURATION_S });
  const endedAt = Date.now();
  const foreignPct = foreign();
  const cpuUsed = cpuSecondsOf(target.pid) - cpuBefore;
  const peakRssMb = peakRss();
  // Requests still in flight at the stop finish their WeChat call meanwhile.
  await settle(fake, app);
  const used = delta(await fake.stats(app), before);
  const logins = result['2xx'];
  return {
    server,
    connections,
    rate: level.rate,
    label: labelOf(level),
    loginsPerSec: logins / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    firstRequestMax: result.firstRequestMax,
    non2xx: result.non2xx,
    // autocannon counts a timeout as an error too.
    errors: result.errors,
    statuses: statusSummary(result),
    // Per request sent (responses + those in flight at the stop): 1.00 means no retries.
    phoneCallsPerLogin: pool.taken > 0 ? used.phoneCalls / pool.taken : NaN,
    tokenFetches: used.tokenFetches,
    peakRssMb,
    cpuMsPerLogin: (1000 * cpuUsed) / Math.max(1, result['2xx'] + result.non2xx),
    foreignPct,
    startedAt,
    endedAt,
  };
}

export async function warmUp(url: string, fake: Fake, app: BenchApp): Promise<number> {
  const pool = await new CodePool(fake, app, 20_000).fill(30_000);
  const result = await drive(url, pool, { connections: 50 }, { duration: WARMUP_S });
  await settle(fake, app);
  return result['2xx'] / result.duration;
}

// ---------------------------------------------------------------- setup
export async function registerUsers(url: string, fake: Fake): Promise<void> {
  const codes = await fake.mint('main', USERS);
  let next = 0;
  const failures: string[] = [];
  const worker = async () => {
    for (let i = next++; i < USERS; i = next++) {
      const login = await httpCall('POST', `${url}/auth/wechat/phone-login`, {
        json: { code: codes[i] },
      });
      const body = login.body as { registrationTicket?: string };
      if (login.status === 200) continue; // already registered (a reused MySQL database)
      if (login.status !== 404 || !body.registrationTicket) {
        failures.push(`phone-login ${benchPhone(i)}: ${login.status}`);
        continue;
      }
      const registered = await httpCall('POST', `${url}/auth/wechat/register`, {
        json: { registrationTicket: body.registrationTicket, nickname: `bench${i}` },
      });
      if (registered.status !== 201)
        failures.push(`register ${benchPhone(i)}: ${registered.status}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  if (failures.length > 0) {
    throw new Error(
      `registration failed for ${failures.length} users: ${failures.slice(0, 5).join(', ')}`,
    );
  }
}

/** The cold instance must find no token in the shared table. */
export async function forgetStoredToken(databaseUrl: string): Promise<void> {
  if (databaseUrl.startsWith('sqlite:')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as new (path: string) => {
      exec(sql: string): void;
      close(): void;
    };
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    db.exec('DELETE FROM wechat_access_tokens');
    db.close();
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mysql = require('mysql2/promise') as {
    createConnection(
      url: string,
    ): Promise<{ query(sql: string): Promise<unknown>; end(): Promise<void> }>;
  };
  const connection = await mysql.createConnection(databaseUrl.replace(/^mariadb:/, 'mysql:'));
  await connection.query('DELETE FROM wechat_access_tokens');
  await connection.end();
}

export interface Burst {
  requests: number;
  ok: number;
  notRegistered: number;
  errors: number;
  statuses: string;
  tokenFetches: number;
  phoneCalls: number;
  p50: number;
  p99: number;
  max: number;
  liveAfterMs: number;
  peakRssMb: number;
}

export async function coldBurst(work: string, fake: Fake, databaseUrl: string): Promise<Burst> {
  await forgetStoredToken(databaseUrl);
  const pool = await new CodePool(fake, 'main', 1000).fill(BURST * 2);
  const before = await fake.stats('main');
  const startedAt = Date.now();
  const { child, url } = await startApp(work, fake.urls.main, databaseUrl, 'app-cold', 'none');
  await waitFor(`${url}/health/live`, child, 60_000, 5);
  const liveAfterMs = Date.now() - startedAt;
  const peakRss = sampleRss(child.proc.pid as number);
  // A generous client timeout: a slow answer is latency, only a failed one is an error.
  const result = await drive(url, pool, { connections: BURST }, { amount: BURST }, 60);
  const peakRssMb = peakRss();
  const used = delta(await fake.stats('main'), before);
  await stopChild(child);
  const count = (status: string) => result.statusCodeStats[status]?.count ?? 0;
  return {
    requests: result.requests.total,
    ok: result['2xx'],
    notRegistered: count('404'),
    // Anything but 200 (a login) or 404 (a phone without a user) is an error.
    errors:
      result.errors +
      Object.entries(result.statusCodeStats)
        .filter(([status]) => status !== '200' && status !== '404')
        .reduce((sum, [, { count: n }]) => sum + n, 0),
    statuses: [
      ...Object.entries(result.statusCodeStats).map(([status, { count: n }]) => `${status}×${n}`),
      ...(result.timeouts > 0 ? [`timeouts×${result.timeouts}`] : []),
    ].join(' '),
    tokenFetches: used.tokenFetches,
    phoneCalls: used.phoneCalls,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    liveAfterMs,
    peakRssMb,
  };
}
