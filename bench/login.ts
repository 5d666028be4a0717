/**
 * Login benchmark: the built app (dist/main.js) against a naive baseline,
 * both talking to a fake WeChat with real latency, each in its own process.
 *
 *   npm run build && npx ts-node bench/login.ts [options]
 *
 *   --latency <ms>      fake WeChat latency per call (default 25, env BENCH_LATENCY_MS)
 *   --duration <s>      seconds per measured level (default 10)
 *   --levels <list>     concurrent connections (default 1,50,200)
 *   --users <n>         users registered before measuring (default 1000)
 *   --burst <n>         cold-burst size (default 1000; 0 skips it)
 *   --rate <n|auto|0>   one more level, open loop: the top connection count at a fixed
 *                       arrival rate (default auto: half of the slower server's top-level
 *                       throughput), so p99 shows service time rather than queueing; 0 skips it
 *   --clients <n>       spread load over n client IPs (TRUST_PROXY + X-Forwarded-For, as
 *                       behind a load balancer); default: one per registered user. 0: every
 *                       login from 127.0.0.1 (the per-IP rate-limit counter then holds
 *                       rate × 60 s entries, a cost no real client mix has)
 *   --no-naive          skip the naive baseline
 *   --no-reference      skip the reference (the naive server with a cached token: what the
 *                       machine allows a login without a framework)
 *   --profile           run the app under `node --cpu-prof` and print its top frames
 *                       (numbers are then distorted by the profiler: RESULTS.md is not written)
 *   --no-write          do not write bench/RESULTS.md
 *
 * Env: BENCH_DATABASE_URL (e.g. mysql://root@127.0.0.1:3306/wxlogin_bench, the
 * database must exist) instead of a fresh SQLite file; BENCH_APP_ROOT, a
 * checkout whose built dist/main.js to measure instead of this one's (to
 * compare a change against the same baseline); BENCH_APP_NODE_OPTIONS, passed
 * to the app as NODE_OPTIONS (e.g. `--max-old-space-size=96`). The app runs
 * with the node flags of `npm run start:prod` (package.json), as in production.
 *
 * It prints one table, and writes it with a machine description to
 * bench/RESULTS.md. It is a script that prints numbers, never a test.
 */
import { ChildProcess, execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { PROD_NODE_FLAGS } from '../scripts/lib/built-app';
import { freePort } from '../test/helpers/app-process';
import { summarizeCpuProfile } from './cpuprofile-top';
import type { AppStats, FakeStats } from './fake-wechat-server';
import {
  argValue,
  BENCH_APPS,
  BenchApp,
  benchPhone,
  hasFlag,
  processTree,
  statusMb,
} from './support';

// ---------------------------------------------------------------- autocannon
// No @types/autocannon in the repo: the part of its API used here.
interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: CannonRequest) => CannonRequest;
}
interface CannonOptions {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  connections: number;
  duration?: number;
  amount?: number;
  timeout?: number;
  requests: CannonRequest[];
}
interface CannonResult {
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
interface CannonTracker extends Promise<CannonResult> {
  on(
    event: 'response',
    listener: (client: object, status: number, bytes: number, ms: number) => void,
  ): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: CannonOptions) => CannonTracker;

// ---------------------------------------------------------------- options
const ROOT = resolve(__dirname, '..');
const APP_ROOT = resolve(process.env.BENCH_APP_ROOT || ROOT);
const LATENCY_MS = Number(argValue('--latency') ?? process.env.BENCH_LATENCY_MS ?? 25);
const DURATION_S = Number(argValue('--duration') ?? 10);
const LEVELS = (argValue('--levels') ?? '1,50,200').split(',').map(Number);
const USERS = Number(argValue('--users') ?? 1000);
const BURST = Number(argValue('--burst') ?? 1000);
const CLIENTS = Number(argValue('--clients') ?? USERS);
const OPEN_RATE = argValue('--rate') ?? 'auto';
const WITH_NAIVE = !hasFlag('--no-naive');
const WITH_REFERENCE = !hasFlag('--no-reference');
const PROFILE = hasFlag('--profile');
const WRITE = !hasFlag('--no-write') && !PROFILE;
const WARMUP_S = 3;
/** Max allowed by the app's env validation (RATE_LIMIT_*_PER_MIN ≤ 1,000,000). */
const RATE_LIMIT = '1000000';
const CLOCK_TICKS = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

// ---------------------------------------------------------------- processes
interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

const children = new Set<Child>();

function spawnNode(
  name: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; logFile: string; pipeStdout?: boolean },
): Child {
  const log = openSync(options.logFile, 'a');
  const proc = spawn(process.execPath, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', options.pipeStdout ? 'pipe' : log, log],
  });
  closeSync(log);
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  const child: Child = { name, proc, logFile: options.logFile, exited };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/** A TypeScript file of bench/ in its own node process (transpile only: fast start). */
function spawnScript(name: string, script: string, args: string[], logFile: string): Child {
  return spawnNode(
    name,
    [
      '-r',
      require.resolve('ts-node/register/transpile-only'),
      join(ROOT, 'bench', script),
      ...args,
    ],
    {
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      cwd: ROOT,
      logFile,
      pipeStdout: true,
    },
  );
}

/** Resolves with the port a child prints as `LISTENING <port>`. */
function listeningPort(child: Child, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${child.name} did not start`)), timeoutMs);
    child.proc.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /LISTENING (\d+)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    void child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${child.name} exited (${code}) before listening; see ${child.logFile}`));
    });
  });
}

async function stopChild(child: Child, timeoutMs = 10_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  await child.exited;
  clearTimeout(timer);
}

function killAll(): void {
  for (const child of children) child.proc.kill('SIGKILL');
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------- the app
interface Started {
  child: Child;
  url: string;
  /** Date.now() at spawn: `--cpu-prof` offsets count from about then. */
  spawnedAt: number;
}

const JWT_SECRET = randomBytes(48).toString('base64');

async function startApp(
  work: string,
  fakeUrl: string,
  databaseUrl: string,
  name: string,
  wait: 'ready' | 'none',
): Promise<Started> {
  const port = await freePort();
  const spawnedAt = Date.now();
  const args = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(work, 'profiles')}`] : [];
  const child = spawnNode(name, [...PROD_NODE_FLAGS, ...args, join(APP_ROOT, 'dist/main.js')], {
    // A clean environment (no REDIS_URL or .env from the shell), and a working
    // directory with no .env in it.
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      NODE_ENV: 'production',
      JWT_SECRET,
      WECHAT_APPID: BENCH_APPS.main.appId,
      WECHAT_SECRET: BENCH_APPS.main.secret,
      WECHAT_API_BASE_URL: fakeUrl,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      SWAGGER_ENABLED: 'false',
      RATE_LIMIT_PER_MIN: RATE_LIMIT,
      RATE_LIMIT_AUTH_PER_MIN: RATE_LIMIT,
      ...(CLIENTS > 0 ? { TRUST_PROXY: 'true' } : {}),
      ...(process.env.BENCH_APP_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_APP_NODE_OPTIONS }
        : {}),
    },
    cwd: work,
    logFile: join(work, `${name}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  if (wait === 'ready') await waitFor(`${url}/health/ready`, child, 60_000);
  return { child, url, spawnedAt };
}

/** Polls until the URL answers 200; fails at once if the process exits. */
async function waitFor(url: string, child: Child, timeoutMs: number, everyMs = 100): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null) {
      throw new Error(`${child.name} exited (${child.proc.exitCode}):\n${tail(child.logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > giveUpAt) {
      throw new Error(`${url} not 200 after ${timeoutMs} ms:\n${tail(child.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------- the fake
class Fake {
  constructor(readonly url: string) {}

  async stats(): Promise<FakeStats> {
    return (await (await fetch(`${this.url}/__control/stats`)).json()) as FakeStats;
  }

  async mint(app: BenchApp, n: number): Promise<string[]> {
    const res = await fetch(`${this.url}/__control/phone-codes?app=${app}&n=${n}&users=${USERS}`, {
      method: 'POST',
    });
    return ((await res.json()) as { codes: string[] }).codes;
  }
}

function delta(after: AppStats, before: AppStats): AppStats {
  const out = { ...after };
  for (const key of Object.keys(out) as (keyof AppStats)[]) out[key] = after[key] - before[key];
  return out;
}

/**
 * Fresh single-use phone codes, minted ahead in bulk so minting never sits in
 * the measured path; refilled in the background if a level outruns the guess.
 * An exhausted pool hands out a dead code (→ 401, visible as non-2xx).
 */
class CodePool {
  private codes: string[] = [];
  private next = 0;
  private refilling: Promise<void> | undefined;

  constructor(
    private readonly fake: Fake,
    private readonly app: BenchApp,
    private readonly chunk: number,
  ) {}

  async fill(n: number): Promise<this> {
    for (let left = n; left > 0; left -= 50_000) {
      this.codes.push(...(await this.fake.mint(this.app, Math.min(left, 50_000))));
    }
    return this;
  }

  /** Codes handed out: one per request autocannon built, i.e. sent (or about to be, at the stop). */
  get taken(): number {
    return this.next;
  }

  take(): string {
    if (this.codes.length - this.next < this.chunk / 2 && !this.refilling) {
      this.refilling = this.fill(this.chunk)
        .then(() => undefined)
        .finally(() => (this.refilling = undefined));
    }
    return this.codes[this.next++] ?? 'pool-exhausted';
  }
}

// ---------------------------------------------------------------- measuring
/** ours: the app; naive: token per login (bare node:http); reference: the same bare server with a cached token. */
type Server = 'ours' | 'naive' | 'reference';

interface Run {
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

function rssOf(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

/** Peak RSS over the process's life (summed over its tree: an upper bound for workers). */
function hwmOf(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

/** user + system CPU seconds used by the process tree (/proc/<pid>/stat, in clock ticks). */
function cpuSecondsOf(pid: number): number {
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
function foreignLoad(): () => number {
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
async function settle(fake: Fake, app: BenchApp): Promise<void> {
  let last = -1;
  const giveUpAt = Date.now() + 30_000;
  while (Date.now() < giveUpAt) {
    const calls = (await fake.stats())[app].phoneCalls;
    if (calls === last) return;
    last = calls;
    await new Promise((r) => setTimeout(r, Math.max(300, LATENCY_MS * 4)));
  }
}

function sampleRss(pid: number): () => number {
  let peak = rssOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssOf(pid));
  };
}

let clientCounter = 0;

/** A load: connections, closed loop unless a fixed arrival rate (logins/s) is given. */
interface Level {
  connections: number;
  rate?: number;
}

function labelOf(level: Level): string {
  return level.rate ? `${level.connections} @ ${level.rate}/s` : String(level.connections);
}

async function drive(
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
function summarize(latencies: number[]): CannonResult['latency'] {
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
async function openLoop(
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

function clientIp(n: number): string {
  return `10.77.${(n >> 8) & 255}.${n & 255}`;
}

function statusSummary(result: CannonResult): string {
  return [
    ...Object.entries(result.statusCodeStats)
      .filter(([status]) => !status.startsWith('2'))
      .map(([status, { count }]) => `${status}×${count}`),
    ...(result.timeouts > 0 ? [`timeouts×${result.timeouts}`] : []),
  ].join(' ');
}

async function measure(
  server: Server,
  target: { url: string; pid: number },
  fake: Fake,
  level: Level,
  expectedRate: number,
): Promise<Run> {
  const { connections } = level;
  const app: BenchApp = server === 'ours' ? 'main' : 'naive';
  const guess = Math.ceil(expectedRate * DURATION_S * 1.5) + connections * 2 + 500;
  const pool = await new CodePool(fake, app, Math.max(5000, Math.ceil(guess / 2))).fill(guess);
  const before = (await fake.stats())[app];
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
  const used = delta((await fake.stats())[app], before);
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

async function warmUp(url: string, fake: Fake, app: BenchApp): Promise<number> {
  const pool = await new CodePool(fake, app, 20_000).fill(30_000);
  const result = await drive(url, pool, { connections: 50 }, { duration: WARMUP_S });
  await settle(fake, app);
  return result['2xx'] / result.duration;
}

// ---------------------------------------------------------------- setup
async function registerUsers(url: string, fake: Fake): Promise<void> {
  const codes = await fake.mint('main', USERS);
  let next = 0;
  const failures: string[] = [];
  const worker = async () => {
    for (let i = next++; i < USERS; i = next++) {
      const login = await fetch(`${url}/auth/wechat/phone-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: codes[i] }),
      });
      const body = (await login.json()) as { registrationTicket?: string };
      if (login.status === 200) continue; // already registered (a reused MySQL database)
      if (login.status !== 404 || !body.registrationTicket) {
        failures.push(`phone-login ${benchPhone(i)}: ${login.status}`);
        continue;
      }
      const registered = await fetch(`${url}/auth/wechat/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          registrationTicket: body.registrationTicket,
          nickname: `bench${i}`,
        }),
      });
      await registered.arrayBuffer();
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
async function forgetStoredToken(databaseUrl: string): Promise<void> {
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

interface Burst {
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

async function coldBurst(work: string, fake: Fake, databaseUrl: string): Promise<Burst> {
  await forgetStoredToken(databaseUrl);
  const pool = await new CodePool(fake, 'main', 1000).fill(BURST * 2);
  const before = (await fake.stats()).main;
  const startedAt = Date.now();
  const { child, url } = await startApp(work, fake.url, databaseUrl, 'app-cold', 'none');
  await waitFor(`${url}/health/live`, child, 60_000, 5);
  const liveAfterMs = Date.now() - startedAt;
  const peakRss = sampleRss(child.proc.pid as number);
  // A generous client timeout: a slow answer is latency, only a failed one is an error.
  const result = await drive(url, pool, { connections: BURST }, { amount: BURST }, 60);
  const peakRssMb = peakRss();
  const used = delta((await fake.stats()).main, before);
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

// ---------------------------------------------------------------- report
/** Which code was measured: the commit, and whether src/ had uncommitted changes. */
function revision(): string {
  try {
    const git = (args: string) =>
      execSync(`git ${args}`, { cwd: APP_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    const dirty = git('status --porcelain -- src').length > 0;
    const built = statSync(join(APP_ROOT, 'dist/main.js')).mtime;
    const stale = readdirSync(join(APP_ROOT, 'src'), { recursive: true }).some(
      (file) => statSync(join(APP_ROOT, 'src', String(file))).mtime > built,
    );
    return (
      `${git('rev-parse --short HEAD')}${dirty ? ' + uncommitted changes in src/' : ''},` +
      ` built ${built.toISOString()}${stale ? ' (STALE: src/ changed since; npm run build)' : ''}`
    );
  } catch {
    return `${APP_ROOT} (not a git checkout)`;
  }
}

function machine(): string[] {
  const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  let nproc = String(cpus().length);
  try {
    nproc = execSync('nproc').toString().trim();
  } catch {
    // os.cpus() then
  }
  return [
    `date: ${new Date().toISOString()}`,
    `cpus (nproc): ${nproc} × ${cpuModel ?? cpus()[0]?.model ?? 'unknown'}`,
    `memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `node: ${process.version}, ${process.platform} ${process.arch}`,
  ];
}

function pad(cells: string[], widths: number[]): string {
  return cells
    .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
    .join('  ');
}

function table(runs: Run[]): string[] {
  const head = [
    'load (conns)',
    'server',
    'logins/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    '1st/conn max ms',
    'non-2xx',
    'errors',
    'wx phone/login',
    'token fetches',
    'peak RSS MB',
    'CPU ms/req',
    'foreign CPU %',
  ];
  const rows = runs.map((r) => [
    r.label,
    r.server,
    r.loginsPerSec.toFixed(0),
    r.p50.toFixed(0),
    r.p99.toFixed(0),
    r.max.toFixed(0),
    r.firstRequestMax === undefined ? '-' : r.firstRequestMax.toFixed(0),
    `${r.non2xx}${r.statuses ? ` (${r.statuses})` : ''}`,
    String(r.errors),
    Number.isNaN(r.phoneCallsPerLogin) ? '-' : r.phoneCallsPerLogin.toFixed(2),
    String(r.tokenFetches),
    r.peakRssMb.toFixed(0),
    r.cpuMsPerLogin.toFixed(2),
    r.foreignPct.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [
    pad(head, widths),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((row) => pad(row, widths)),
  ];
}

function comparison(runs: Run[]): string[] {
  const lines: string[] = [];
  const labels = [...new Set(runs.map((r) => r.label))];
  const width = Math.max(...labels.map((label) => label.length));
  const vs = (a: Run, b: Run, what: string) =>
    `${what} throughput ×${(a.loginsPerSec / b.loginsPerSec).toFixed(2)}` +
    ` (${a.loginsPerSec.toFixed(0)} vs ${b.loginsPerSec.toFixed(0)} logins/s), p99 ${a.p99.toFixed(0)} vs ${b.p99.toFixed(0)} ms`;
  for (const label of labels) {
    const of = (server: Server) => runs.find((r) => r.server === server && r.label === label);
    const [ours, naive, reference] = [of('ours'), of('naive'), of('reference')];
    const parts = [
      ...(ours && naive ? [vs(ours, naive, 'ours/naive')] : []),
      ...(reference && naive ? [vs(reference, naive, 'reference/naive')] : []),
      ...(ours && reference ? [vs(ours, reference, 'ours/reference')] : []),
    ];
    parts.forEach((part, i) => lines.push(`${(i === 0 ? label : '').padStart(width)}  ${part}`));
  }
  return lines;
}

function targets(runs: Run[], burst: Burst | undefined, appHwmMb: number): string[] {
  const top = Math.max(...LEVELS);
  const ours = runs.find((r) => r.server === 'ours' && r.connections === top && !r.rate);
  const naive = runs.find((r) => r.server === 'naive' && r.connections === top && !r.rate);
  const reference = runs.find((r) => r.server === 'reference' && r.connections === top && !r.rate);
  const open = runs.find((r) => r.server === 'ours' && r.rate);
  const openNaive = runs.find((r) => r.server === 'naive' && r.rate);
  const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const lines: string[] = [];
  if (ours) {
    const budget = LATENCY_MS + 15;
    lines.push(
      `${mark(ours.p99 <= budget)}  p99 at ${top} conns ≤ fake latency + 15 ms (${budget} ms): ${ours.p99.toFixed(0)} ms`,
    );
    // Little's law for a closed loop: mean latency = connections / throughput.
    lines.push(
      `      (closed loop: mean latency = ${top} / ${ours.loginsPerSec.toFixed(0)} per s = ${((1000 * top) / ours.loginsPerSec).toFixed(0)} ms;` +
        ` p99 ≤ ${budget} ms needs > ${Math.ceil((1000 * top) / budget)} logins/s)`,
    );
    if (reference) {
      lines.push(
        `      (reference, no framework, same machine: ${reference.loginsPerSec.toFixed(0)} logins/s, p99 ${reference.p99.toFixed(0)} ms)`,
      );
    }
  }
  if (open) {
    const budget = LATENCY_MS + 15;
    const openReference = runs.find((r) => r.server === 'reference' && r.rate);
    lines.push(
      `${mark(open.p99 <= budget)}  p99 at ${open.label} (open loop) ≤ ${budget} ms: ${open.p99.toFixed(0)} ms` +
        (openNaive ? ` (naive ${openNaive.p99.toFixed(0)} ms` : '') +
        (openReference ? `, reference ${openReference.p99.toFixed(0)} ms` : '') +
        (openNaive ? ')' : ''),
    );
  }
  if (ours && naive) {
    const ratio = ours.loginsPerSec / naive.loginsPerSec;
    lines.push(`${mark(ratio >= 2)}  throughput at ${top} conns ≥ 2× naive: ×${ratio.toFixed(2)}`);
    if (reference) {
      // The reference is the naive server minus its token fetch: when every
      // server is CPU-bound, the most that caching the token can buy here.
      lines.push(
        `      (reference, no framework, same machine: ×${(reference.loginsPerSec / naive.loginsPerSec).toFixed(2)} of naive)`,
      );
    }
  }
  const peak = Math.max(
    appHwmMb,
    ...runs.filter((r) => r.server === 'ours').map((r) => r.peakRssMb),
  );
  lines.push(
    `${mark(peak <= 150)}  app RSS ≤ 150 MB: peak ${peak.toFixed(0)} MB (VmHWM over the whole run)`,
  );
  if (burst) {
    lines.push(
      `${mark(burst.tokenFetches === 1)}  cold burst: token fetches = 1: ${burst.tokenFetches}`,
    );
    lines.push(`${mark(burst.errors === 0)}  cold burst: errors = 0: ${burst.errors}`);
  }
  return lines;
}

function burstLines(burst: Burst): string[] {
  return [
    `cold burst: ${BURST} concurrent logins fired at a fresh instance (no stored token) as soon as /health/live answered (${burst.liveAfterMs} ms after spawn)`,
    `  answered ${burst.requests}: ${burst.statuses || '-'}; errors ${burst.errors}`,
    `  WeChat token fetches ${burst.tokenFetches}, phone calls ${burst.phoneCalls}`,
    `  latency p50 ${burst.p50.toFixed(0)} ms, p99 ${burst.p99.toFixed(0)} ms, max ${burst.max.toFixed(0)} ms; peak RSS ${burst.peakRssMb.toFixed(0)} MB`,
  ];
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const dist = join(APP_ROOT, 'dist/main.js');
  if (!existsSync(dist)) {
    throw new Error(
      `${dist} is missing: run \`npm run build\` first (this benchmark runs the built app)`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'wx-bench-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL || `sqlite:${join(work, 'bench.sqlite')}`;
  const dbLabel = databaseUrl.startsWith('sqlite:')
    ? 'SQLite (WAL)'
    : databaseUrl.replace(/\/\/[^@]*@/, '//…@');
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  log(`work dir ${work}; database ${dbLabel}; fake WeChat latency ${LATENCY_MS} ms`);

  const fakeChild = spawnScript(
    'fake-wechat',
    'fake-wechat-server.ts',
    ['--latency', String(LATENCY_MS)],
    join(work, 'fake.log'),
  );
  const fake = new Fake(`http://127.0.0.1:${await listeningPort(fakeChild)}`);

  const app = await startApp(work, fake.url, databaseUrl, 'app', 'ready');
  const appPid = app.child.proc.pid as number;
  log(`app ready (pid ${appPid}); registering ${USERS} users`);
  await registerUsers(app.url, fake);

  const spawnBare = async (name: string, extra: string[]): Promise<Started> => {
    const spawnedAt = Date.now();
    const child = spawnScript(
      name,
      'naive-server.ts',
      [
        '--wechat',
        `${fake.url}/naive`,
        '--appid',
        BENCH_APPS.naive.appId,
        '--secret',
        BENCH_APPS.naive.secret,
        '--db',
        join(work, `${name}.sqlite`),
        '--users',
        String(USERS),
        '--jwt-secret',
        JWT_SECRET,
        ...extra,
      ],
      join(work, `${name}.log`),
    );
    return { child, url: `http://127.0.0.1:${await listeningPort(child)}`, spawnedAt };
  };
  const naive = WITH_NAIVE ? await spawnBare('naive', []) : undefined;
  const reference = WITH_REFERENCE ? await spawnBare('reference', ['--cache-token']) : undefined;

  log(`warming up ${WARMUP_S} s each at 50 connections`);
  const rate = { ours: await warmUp(app.url, fake, 'main'), naive: 0, reference: 0 };
  if (naive) rate.naive = await warmUp(naive.url, fake, 'naive');
  if (reference) rate.reference = await warmUp(reference.url, fake, 'naive');

  const runs: Run[] = [];
  const targetsOf = {
    ours: { url: app.url, pid: appPid },
    naive: naive && { url: naive.url, pid: naive.child.proc.pid as number },
    reference: reference && { url: reference.url, pid: reference.child.proc.pid as number },
  };
  const measureBoth = async (level: Level, guess: (server: Server) => number) => {
    log(`measuring ${labelOf(level)} connection(s), ${DURATION_S} s each`);
    runs.push(await measure('ours', targetsOf.ours, fake, level, guess('ours')));
    for (const server of ['naive', 'reference'] as const) {
      const target = targetsOf[server];
      if (target) runs.push(await measure(server, target, fake, level, guess(server)));
    }
  };
  for (const connections of LEVELS) {
    await measureBoth({ connections }, (server) =>
      connections === 1 ? 200 : rate[server] * Math.max(1, connections / 50),
    );
  }
  const top = Math.max(...LEVELS);
  const saturated = runs
    .filter((r) => r.connections === top && r.server !== 'reference')
    .map((r) => r.loginsPerSec);
  const openRate =
    OPEN_RATE === 'auto' ? Math.floor(Math.min(...saturated) / 2) : Number(OPEN_RATE);
  if (openRate > 0) await measureBoth({ connections: top, rate: openRate }, () => openRate);
  const appHwmMb = hwmOf(appPid);
  if (naive) await stopChild(naive.child);
  if (reference) await stopChild(reference.child);
  await stopChild(app.child);

  let burst: Burst | undefined;
  if (BURST > 0) {
    log(`cold burst: ${BURST} logins at a fresh instance`);
    burst = await coldBurst(work, fake, databaseUrl);
  }
  await stopChild(fakeChild);

  const header = [
    `Login benchmark — POST /auth/wechat/phone-login, registered users (200 path), one fresh WeChat code per login`,
    `fake WeChat latency ${LATENCY_MS} ms per call; ${DURATION_S} s per level after a ${WARMUP_S} s warm-up; ${USERS} users; database ${dbLabel};` +
      ` client IPs: ${CLIENTS > 0 ? CLIENTS : '1 (127.0.0.1)'}`,
    `ours = node ${PROD_NODE_FLAGS.join(' ')} dist/main.js of ${revision()} (NODE_ENV=production, LOG_LEVEL=warn); naive = bench/naive-server.ts (classic token fetched per login, same DB work);` +
      ` reference = the same bare server with a cached token`,
    `app, naive server, fake WeChat and load generator (autocannon) share the same CPUs`,
    `load: concurrent connections (closed loop), or connections @ fixed arrival rate (open loop)`,
    `wx phone/login: phone calls per login request sent (1.00 = no retries); token fetches: /cgi-bin/token + stable_token during the level`,
    `p50/p99/max (closed loop): every request but each connection's first; 1st/conn max: the slowest first request (TCP connect included)
CPU ms/req: server process CPU per answered request; foreign CPU %: share of all CPUs used by processes outside this benchmark (and steal)`,
  ];
  const output = [
    ...header,
    '',
    ...table(runs),
    '',
    ...comparison(runs),
    ...(burst ? ['', ...burstLines(burst)] : []),
    '',
    'targets:',
    ...targets(runs, burst, appHwmMb),
  ];
  process.stdout.write(`\n${output.join('\n')}\n`);

  if (PROFILE) {
    const dir = join(work, 'profiles');
    const profiles = existsSync(dir)
      ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
      : [];
    // File names carry the pid: the measured instance's, not the cold one's.
    const measured = profiles.find((f) => f.includes(`.${appPid}.`));
    for (const run of runs.filter((r) => r.server === 'ours' && measured)) {
      const window = {
        fromMs: run.startedAt - app.spawnedAt,
        toMs: run.endedAt - app.spawnedAt,
      };
      process.stdout.write(
        `\n== app profile during the ${run.connections}-connection level\n${summarizeCpuProfile(join(dir, measured as string), 25, window)}\n`,
      );
    }
    log(`profiles kept in ${dir}`);
  } else {
    rmSync(work, { recursive: true, force: true });
  }

  if (WRITE) {
    const results = [
      '# Login benchmark results',
      '',
      'Written by `npm run bench` (bench/login.ts) from the run below; rerun it to refresh.',
      '',
      '## Machine',
      '',
      ...machine().map((line) => `- ${line}`),
      '',
      '## Run',
      '',
      '```',
      ...output,
      '```',
      '',
    ];
    // A hand-written `## Notes` section (analysis, profiles) survives reruns.
    const file = join(ROOT, 'bench/RESULTS.md');
    const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const notes = previous.indexOf('\n## Notes');
    writeFileSync(file, results.join('\n') + (notes >= 0 ? previous.slice(notes) : ''));
    log('wrote bench/RESULTS.md');
  }
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    killAll();
    process.exit(1);
  },
);
