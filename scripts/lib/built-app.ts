/**
 * Starts the built backend (dist/main.js) as a child process, the way it runs in
 * production, for the browser check (test/browser) and the client-type generator
 * (scripts/generate-client-types.ts).
 *
 * - a free port on 127.0.0.1, a fresh SQLite file in a temp dir;
 * - NODE_ENV=test, LOG_LEVEL=warn, no WECHAT_* variables, so the built-in WeChat
 *   simulator is on and Swagger is served at /docs and /docs-json;
 * - a minimal environment (nothing inherited from the developer's shell but PATH
 *   and HOME) and the temp dir as cwd, so no local .env is read either.
 *
 * Needs `npm run build` first.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { freePort } from '../../test/helpers/app-process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const MAIN_JS = path.join(REPO_ROOT, 'dist/main.js');

/** The node flags `npm run start:prod` runs the app with (heap sizing), so RSS is measured as deployed. */
export const PROD_NODE_FLAGS = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts['start:prod']
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

export interface BuiltApp {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  port: number;
  /** The app's process id (its /proc/<pid>/status has the RSS). */
  pid: number;
  /** Whether the process has exited (crashed, killed, or stopped). */
  exited(): boolean;
  /** The temp dir holding the SQLite file (removed by stop()). */
  dir: string;
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One HTTP call without keep-alive, so no socket outlives the call. */
export function httpCall(
  method: string,
  url: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent: false,
        timeout: timeoutMs,
        headers: payload
          ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startBuiltApp(
  options: {
    readyTimeoutMs?: number;
    env?: Record<string, string>;
    /** Flags before the script, e.g. PROD_NODE_FLAGS. */
    nodeArgs?: string[];
    /** Another build's dist/main.js (a bench comparing with an older revision). */
    mainJs?: string;
  } = {},
): Promise<BuiltApp> {
  const mainJs = options.mainJs ?? MAIN_JS;
  if (!existsSync(mainJs)) {
    throw new Error(`${mainJs} is missing: run \`npm run build\` first.`);
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'wxlogin-built-app-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    PORT: String(port),
    DATABASE_URL: `sqlite:${path.join(dir, 'ui.sqlite')}`,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...options.env,
  };

  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), mainJs], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // Set by the 'exit' handler (an object, so TypeScript does not narrow it to null).
  const state: { exited: { code: number | null; signal: NodeJS.Signals | null } | null } = {
    exited: null,
  };
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      state.exited = { code, signal };
      resolve();
    });
  });

  let stopped = false;
  const app: BuiltApp = {
    baseUrl,
    port,
    pid: child.pid ?? 0,
    exited: () => state.exited !== null,
    dir,
    output: () => log,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (!state.exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  // Wait for /health/ready: database migrated and reachable, simulator on.
  const deadline = Date.now() + readyTimeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (state.exited) {
      const { code, signal } = state.exited;
      await app.stop();
      throw new Error(
        `dist/main.js exited during startup (code ${code}, signal ${signal}). Its output:\n${log}`,
      );
    }
    try {
      const answer = await httpCall('GET', `${baseUrl}/health/ready`, undefined, 2_000);
      if (answer.status === 200) return app;
      last = `${answer.status} ${answer.text}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(200);
  }
  await app.stop();
  throw new Error(
    `dist/main.js did not answer 200 on /health/ready within ${readyTimeoutMs} ms ` +
      `(last: ${last}). Its output:\n${log}`,
  );
}
