/**
 * What the access guard's account-standing check (blocked or deleted users'
 * tokens refused within seconds) costs an authenticated request.
 *
 *   npm run bench:guard [-- --users 200 --connections 50 --duration 10 --rounds 2]
 *
 * For each mode of bench/guard/server.ts (`off`: no check; `cached`: as
 * deployed, one read per user per 2 s per instance; `uncached`: one indexed
 * read per request) starts the app as its own process (node flags of
 * start:prod, simulator on, SQLite, or BENCH_DATABASE_URL), registers
 * `--users` users through the simulator, then drives GET /users/me with
 * autocannon, each request carrying the next user's access token. Modes
 * alternate for `--rounds` rounds so machine noise spreads over all of them.
 * Prints requests/s and latency per mode.
 */
import { harnessEnvironment } from '../src/config/harness-environment';
import { join } from 'node:path';
import { launchApp, LaunchedApp, PROD_NODE_FLAGS, REPO_ROOT } from '../test/helpers/app-process';
import { httpCall } from '../test/helpers/http-client';
import { argValue } from './support';
import type { GuardMode } from './guard/server';

const USERS = Number(argValue('--users') ?? 200);
const CONNECTIONS = Number(argValue('--connections') ?? 50);
const DURATION_S = Number(argValue('--duration') ?? 10);
const ROUNDS = Number(argValue('--rounds') ?? 2);
const MODES: GuardMode[] = ['off', 'cached', 'uncached'];

// No @types/autocannon in the repo: the part of its API used here.
interface CannonRequest {
  method: 'GET';
  path: string;
  headers?: Record<string, string>;
  setupRequest?: (request: CannonRequest) => CannonRequest;
}
interface CannonResult {
  non2xx: number;
  errors: number;
  duration: number;
  latency: { p50: number; p99: number };
  requests: { total: number };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: {
  url: string;
  connections: number;
  duration: number;
  requests: CannonRequest[];
}) => Promise<CannonResult>;

const DATABASE_URL = harnessEnvironment().benchDatabaseUrl;

async function startServer(mode: GuardMode): Promise<LaunchedApp> {
  return launchApp({
    mainJs: join(REPO_ROOT, 'bench', 'guard', 'server.ts'),
    nodeArgs: [...PROD_NODE_FLAGS, '-r', require.resolve('ts-node/register/transpile-only')],
    env: {
      GUARD_BENCH_MODE: mode,
      TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'),
      TS_NODE_TRANSPILE_ONLY: 'true',
      RATE_LIMIT_PER_MIN: '1000000',
      RATE_LIMIT_AUTH_PER_MIN: '1000000',
      ...(DATABASE_URL ? { DATABASE_URL } : {}),
    },
  });
}

async function post(url: string, path: string, body: object): Promise<Record<string, unknown>> {
  const answer = await httpCall('POST', `${url}${path}`, { json: body });
  return JSON.parse(answer.text) as Record<string, unknown>;
}

/** Registers `count` users through the simulator; their access tokens. */
async function register(url: string, count: number, batch: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    // Distinct numbers per run: BENCH_DATABASE_URL keeps its users from run to run.
    const phoneNumber = String(13600000000 + batch * 10_000 + i);
    const { code } = await post(url, '/__wechat-sim/phone-codes', { phoneNumber });
    const { registrationTicket } = await post(url, '/auth/wechat/phone-login', { code });
    const session = await post(url, '/auth/wechat/register', { registrationTicket });
    tokens.push(String(session.accessToken));
  }
  return tokens;
}

function load(url: string, tokens: string[], durationS: number): Promise<CannonResult> {
  let next = 0;
  const request: CannonRequest = {
    method: 'GET',
    path: '/users/me',
    setupRequest: (req) => ({
      ...req,
      headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` },
    }),
  };
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    requests: [request],
  });
}

async function main(): Promise<void> {
  const results = new Map<GuardMode, CannonResult[]>(MODES.map((mode) => [mode, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of MODES) {
      const app = await startServer(mode);
      try {
        const tokens = await register(app.url, USERS, round * MODES.length + MODES.indexOf(mode));
        await load(app.url, tokens, 2); // warm-up: JIT, connections, the cache
        const result = await load(app.url, tokens, DURATION_S);
        if (result.non2xx > 0 || result.errors > 0) {
          throw new Error(`${mode}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        }
        results.get(mode)!.push(result);
        process.stderr.write(`round ${round + 1} ${mode}: ${rps(result).toFixed(0)} req/s\n`);
      } finally {
        await app.stop();
      }
    }
  }
  const db = DATABASE_URL ? 'MySQL/MariaDB' : 'SQLite';
  const offRps = mean(results.get('off')!.map(rps));
  print(
    `GET /users/me, ${USERS} users, ${CONNECTIONS} connections, ${DURATION_S} s × ${ROUNDS} rounds, ${db}\n`,
  );
  print('| standing check | requests/s | vs off | p50 ms | p99 ms |');
  print('|---|---|---|---|---|');
  for (const mode of MODES) {
    const runs = results.get(mode)!;
    const value = mean(runs.map(rps));
    print(
      `| ${mode} | ${value.toFixed(0)} | ×${(value / offRps).toFixed(2)} | ` +
        `${mean(runs.map((r) => r.latency.p50)).toFixed(1)} | ${mean(runs.map((r) => r.latency.p99)).toFixed(1)} |`,
    );
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function rps(result: CannonResult): number {
  return result.requests.total / result.duration;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
