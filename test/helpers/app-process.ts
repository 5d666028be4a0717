import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harnessEnvironment } from '../../src/config/harness-environment';
import { freePort, httpCall } from './http-client';

/**
 * The one launcher of the app as its own process, for the e2e tests that need
 * a real process (signals, several instances, the listen address), the browser
 * and mini-program checks, the benchmarks and scripts/generate-client-types.ts.
 */

export const REPO_ROOT = join(__dirname, '..', '..');
export const MAIN_JS = join(REPO_ROOT, 'dist', 'main.js');
const MAIN_TS = join(REPO_ROOT, 'src', 'main.ts');
const TS_NODE_REGISTER = require.resolve('ts-node/register/transpile-only');

/** The node flags `npm run start:prod` runs the app with (heap sizing), so RSS is measured as deployed. */
export const PROD_NODE_FLAGS = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts['start:prod']
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when it exited. */
  at: number;
}

export interface SpawnOptions {
  /** `source`: src/main.ts through ts-node (no build needed); `built` (default): dist/main.js. */
  entry?: 'source' | 'built';
  /** Another build's dist/main.js (a benchmark comparing with an older revision). */
  mainJs?: string;
  /** The process sees exactly these variables plus PATH: nothing else is inherited. */
  env: Record<string, string>;
  /** Its working directory; default a fresh temp dir (removed by stop()), so no local .env is read. */
  cwd?: string;
  /** Node flags before the script, e.g. PROD_NODE_FLAGS or --cpu-prof. */
  nodeArgs?: string[];
  /** Write stdout and stderr to this file instead of keeping them in memory (long runs). */
  logFile?: string;
}

export interface AppProcess {
  process: ChildProcess;
  pid: number;
  /** The working directory. */
  dir: string;
  /** Everything it wrote (stdout and stderr); the log file's tail with `logFile`. */
  output(): string;
  stdout(): string;
  exited: Promise<Exit>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `killAfterMs` (10 s); removes a temp working dir. Safe to call twice. */
  stop(killAfterMs?: number): Promise<void>;
}

/** Starts the app and returns at once (see launchApp to wait until it is ready). */
export function spawnApp(options: SpawnOptions): AppProcess {
  const built = (options.entry ?? 'built') === 'built';
  const script = built ? (options.mainJs ?? MAIN_JS) : MAIN_TS;
  if (built && !existsSync(script)) {
    throw new Error(`${script} is missing: run \`npm run build\` first.`);
  }
  const ownDir = options.cwd === undefined;
  const dir = options.cwd ?? mkdtempSync(join(tmpdir(), 'wxlogin-app-'));
  const log = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...(built ? [] : ['-r', TS_NODE_REGISTER]), script],
    {
      cwd: dir,
      env: {
        PATH: harnessEnvironment().inherited.PATH,
        ...(built ? {} : { TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json') }),
        ...options.env,
      },
      stdio: ['ignore', log ?? 'pipe', log ?? 'pipe'],
    },
  );
  if (log !== undefined) closeSync(log);
  let stdout = '';
  let all = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    all += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    all += chunk.toString('utf8');
  });
  const state: { exit: Exit | null } = { exit: null };
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      state.exit = { code, signal, at: Date.now() };
      resolve(state.exit);
    });
  });
  let stopped = false;
  return {
    process: child,
    pid: child.pid ?? 0,
    dir,
    output: () => (options.logFile === undefined ? all : tailOf(options.logFile)),
    stdout: () => stdout,
    exited,
    hasExited: () => state.exit !== null,
    stop: async (killAfterMs = 10_000) => {
      if (stopped) return;
      stopped = true;
      if (!state.exit) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await exited;
        clearTimeout(timer);
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tailOf(file: string, chars = 20_000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '(no log)';
  }
}

export interface LaunchOptions extends Omit<SpawnOptions, 'env'> {
  /**
   * Added to the defaults: PORT (a free port), HOME, NODE_ENV=test, LOG_LEVEL=warn,
   * a fresh SQLite file in the working directory, and no WECHAT_* variable, so the
   * built-in WeChat simulator is on and Swagger is served.
   */
  env?: Record<string, string>;
  /** `ready` (default): until GET /health/ready answers 200; `none`: return at once. */
  wait?: 'ready' | 'none';
  readyTimeoutMs?: number;
}

export interface LaunchedApp extends AppProcess {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
}

/** Starts the app on a free port and waits until it is ready; stops it if it never gets there. */
export async function launchApp(options: LaunchOptions = {}): Promise<LaunchedApp> {
  const port = options.env?.PORT ? Number(options.env.PORT) : await freePort();
  const dir = options.cwd ?? mkdtempSync(join(tmpdir(), 'wxlogin-app-'));
  const app = spawnApp({
    ...options,
    cwd: dir,
    env: {
      HOME: harnessEnvironment().inherited.HOME ?? dir,
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}`,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
  const launched: LaunchedApp = {
    ...app,
    port,
    url: `http://127.0.0.1:${port}`,
    stop: async (killAfterMs) => {
      await app.stop(killAfterMs);
      if (options.cwd === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.wait === 'none') return launched;
  try {
    await waitUntilReady(launched, port, options.readyTimeoutMs);
  } catch (error) {
    await launched.stop();
    throw error;
  }
  return launched;
}

/** Polls GET /health/ready until it answers 200; fails at once with the output if the process exits. */
export async function waitUntilReady(
  app: AppProcess,
  port: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (app.hasExited()) {
      const { code, signal } = await app.exited;
      throw new Error(`the app exited (code ${code}, signal ${signal}):\n${app.output()}`);
    }
    try {
      const answer = await httpCall('GET', `http://127.0.0.1:${port}/health/ready`, {
        timeoutMs: 2_000,
      });
      if (answer.status === 200) return;
      last = `${answer.status} ${answer.text}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app was not ready within ${timeoutMs} ms (last: ${last}):\n${app.output()}`);
}

/**
 * The real entry point (src/main.ts, through ts-node: no build needed) with
 * exactly `env` plus PATH, in `cwd` (a temp dir, so a developer's `.env` cannot
 * leak in). Returns at once: the test decides what to wait for.
 */
export function startMain(env: Record<string, string>, cwd: string): AppProcess {
  return spawnApp({ entry: 'source', env, cwd });
}
