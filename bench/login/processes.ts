/** The benchmark's child processes: the app (through the test kit's launcher), the fake WeChat, the naive servers. */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchApp, PROD_NODE_FLAGS, waitUntilReady } from '../../test/helpers/app-process';
import { harnessEnvironment } from '../../src/config/harness-environment';
import { httpCall } from '../../test/helpers/http-client';
import { BENCH_APPS } from '../support';
import { Fake } from './fake';
import {
  APP_NODE_OPTIONS,
  APP_ROOT,
  CLIENTS,
  LATENCY_MS,
  PROFILE,
  RATE_LIMIT,
  ROOT,
  USERS,
} from './options';

// ---------------------------------------------------------------- processes
export interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

export const children = new Set<Child>();

export function spawnNode(
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

/** A TypeScript file (path from the repository root) in its own node process (transpile only: fast start). */
export function spawnScript(name: string, script: string, args: string[], logFile: string): Child {
  return spawnNode(
    name,
    ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, script), ...args],
    {
      env: { PATH: harnessEnvironment().inherited.PATH, NODE_ENV: 'production' },
      cwd: ROOT,
      logFile,
      pipeStdout: true,
    },
  );
}

/** Resolves with the port a child prints as `LISTENING <port>` (`LISTENING <label> <port>` with a label). */
export function listeningPort(child: Child, label?: string, timeoutMs = 30_000): Promise<number> {
  const pattern = new RegExp(`LISTENING ${label ? `${label} ` : ''}(\\d+)`);
  return new Promise((resolvePort, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${child.name} did not start`)), timeoutMs);
    child.proc.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = pattern.exec(buffered);
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

export async function stopChild(child: Child, timeoutMs = 10_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  await child.exited;
  clearTimeout(timer);
}

export function killAll(): void {
  for (const child of children) child.proc.kill('SIGKILL');
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------- the app
export interface Started {
  child: Child;
  url: string;
  /** Date.now() at spawn: `--cpu-prof` offsets count from about then. */
  spawnedAt: number;
}

export const JWT_SECRET = randomBytes(48).toString('base64');

/**
 * The app's environment in every bench: production, the main app against the
 * fake WeChat, quiet logs, no Swagger, rate limits out of the load's way.
 */
export function benchAppEnv(fakeUrl: string, databaseUrl: string): Record<string, string> {
  return {
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
  };
}

/**
 * Runs a bench script's main: exit 0 when it is done; when it fails, the error
 * (its stack, or with `detail: 'message'` the message only) on stderr, every
 * child killed, exit 1. The children are killed on any exit.
 */
export function runBench(
  tag: string,
  main: () => Promise<void>,
  detail: 'stack' | 'message' = 'stack',
): void {
  process.on('exit', killAll);
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const text =
        error instanceof Error ? (detail === 'stack' ? error.stack : error.message) : String(error);
      process.stderr.write(`[${tag}] failed: ${text}\n`);
      killAll();
      process.exit(1);
    },
  );
}

/**
 * One fake per WeChat app (main and naive), in one process of its own. Keeping
 * the apps apart means the baseline's classic rotation (one new token per login)
 * never touches the app's token; the baseline uses each token within
 * milliseconds, so the fake forgets superseded ones after 2 s instead of walking
 * thousands of them.
 */
export async function startTwoAppFake(work: string): Promise<{ child: Child; fake: Fake }> {
  const child = spawnScript(
    'fake-wechat',
    'test/helpers/fake-wechat-server.ts',
    [
      '--apps',
      [BENCH_APPS.main, BENCH_APPS.naive].map((a) => `${a.appId}:${a.secret}`).join(','),
      '--latency',
      String(LATENCY_MS),
      '--forget-superseded-ms',
      '2000',
    ],
    join(work, 'fake.log'),
  );
  const [mainPort, naivePort] = await Promise.all([
    listeningPort(child, BENCH_APPS.main.appId),
    listeningPort(child, BENCH_APPS.naive.appId),
  ]);
  const fake = new Fake({
    main: `http://127.0.0.1:${mainPort}`,
    naive: `http://127.0.0.1:${naivePort}`,
  });
  return { child, fake };
}

/**
 * bench/naive-server.ts against the fake's naive app, with its own SQLite file
 * and the bench's users; `extra`: e.g. `--cache-token` (the reference).
 */
export async function spawnNaiveServer(
  work: string,
  fake: Fake,
  name: string,
  extra: string[],
): Promise<Started> {
  const spawnedAt = Date.now();
  const child = spawnScript(
    name,
    'bench/naive-server.ts',
    [
      '--wechat',
      fake.urls.naive,
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
}

/** The built app (of BENCH_APP_ROOT) with the node flags of `npm run start:prod`, through the test kit's launcher. */
export async function startApp(
  work: string,
  fakeUrl: string,
  databaseUrl: string,
  name: string,
  wait: 'ready' | 'none',
  /** Another build or node flags (bench/ab.ts); more environment, e.g. REDIS_URL (bench/scale-out.ts). */
  variant: { mainJs?: string; nodeFlags?: string[]; env?: Record<string, string> } = {},
): Promise<Started> {
  const logFile = join(work, `${name}.log`);
  const spawnedAt = Date.now();
  const args = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(work, 'profiles')}`] : [];
  // A clean environment (no REDIS_URL or .env from the shell), and a working
  // directory with no .env in it.
  const app = await launchApp({
    mainJs: variant.mainJs ?? join(APP_ROOT, 'dist/main.js'),
    nodeArgs: [...(variant.nodeFlags ?? PROD_NODE_FLAGS), ...args],
    cwd: work,
    logFile,
    // Registered as a child before waiting, so an interrupted start is killed too.
    wait: 'none',
    env: {
      ...benchAppEnv(fakeUrl, databaseUrl),
      ...(APP_NODE_OPTIONS ? { NODE_OPTIONS: APP_NODE_OPTIONS } : {}),
      ...variant.env,
    },
  });
  const child: Child = {
    name,
    proc: app.process,
    logFile,
    exited: app.exited.then((exit) => exit.code),
  };
  children.add(child);
  void child.exited.then(() => children.delete(child));
  if (wait === 'ready') await waitUntilReady(app, app.port, 60_000);
  return { child, url: app.url, spawnedAt };
}

/** Polls until the URL answers 200; fails at once if the process exits. */
export async function waitFor(
  url: string,
  child: Child,
  timeoutMs: number,
  everyMs = 100,
): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null) {
      throw new Error(`${child.name} exited (${child.proc.exitCode}):\n${tail(child.logFile)}`);
    }
    try {
      if ((await httpCall('GET', url, { timeoutMs: 2000 })).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > giveUpAt) {
      throw new Error(`${url} not 200 after ${timeoutMs} ms:\n${tail(child.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
