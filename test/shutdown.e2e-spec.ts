import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, startMain as startAppProcess } from './helpers/app-process';
import { FakeWechat } from './helpers/fake-wechat';
import { freePort, HttpAnswer, httpCall } from './helpers/http-client';

/**
 * SIGTERM and boot-time validation of the real entry point (src/main.ts), run
 * as its own process exactly as `node -r ts-node/register/transpile-only
 * src/main.ts` would (no build needed). The child runs in a temporary working
 * directory so a developer's `.env` in the repository cannot change what it sees.
 */

const children = new Set<ChildProcess>();
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxlogin-shutdown-'));
  dirs.push(dir);
  return dir;
}

function startMain(env: Record<string, string>, cwd: string): AppProcess {
  const app = startAppProcess(env, cwd);
  children.add(app.process);
  return app;
}

/** One request on a connection of its own (no keep-alive), so nothing lingers into shutdown. */
function call(port: number, method: string, path: string, json?: unknown): Promise<HttpAnswer> {
  return httpCall(method, `http://127.0.0.1:${port}${path}`, { json });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a failure after `ms` (the timer is cleared either way, so Jest can exit). */
async function within<T>(promise: Promise<T>, ms: number, failure: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(failure())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles to a tagged result: errors from Node's own realm are not `instanceof Error` under Jest. */
function settle<T>(promise: Promise<T>): Promise<{ ok: T } | { error: NodeJS.ErrnoException }> {
  return promise.then(
    (ok) => ({ ok }),
    (error: NodeJS.ErrnoException) => ({ error }),
  );
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

afterAll(() => {
  // Whatever happened above, no child outlives the file.
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('SIGTERM on the real entry point (e2e, child process)', () => {
  let wechat: FakeWechat;
  let app: AppProcess;
  let port: number;

  beforeAll(async () => {
    wechat = await FakeWechat.start();
    port = await freePort();
    const dir = tempDir();
    app = startMain(
      {
        PORT: String(port),
        NODE_ENV: 'test',
        DATABASE_URL: `sqlite:${join(dir, 'shutdown.sqlite')}`,
        JWT_SECRET: randomBytes(32).toString('base64url'),
        WECHAT_SIMULATOR: 'false',
        WECHAT_APPID: wechat.appId,
        WECHAT_SECRET: wechat.secret,
        WECHAT_API_BASE_URL: wechat.url,
        WECHAT_TIMEOUT_MS: '5000',
        RATE_LIMIT_PER_MIN: '1000000',
        RATE_LIMIT_AUTH_PER_MIN: '1000000',
        LOG_LEVEL: 'info',
      },
      dir,
    );
    let exitedEarly = false;
    void app.exited.then(() => (exitedEarly = true));
    try {
      await waitFor(
        'GET /health/ready → 200',
        async () => {
          if (exitedEarly) throw new Error('the app exited before it was ready');
          const res = await call(port, 'GET', '/health/ready').catch(() => undefined);
          return res?.status === 200;
        },
        60_000,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- app output ---\n${app.output()}`);
    }
  }, 90_000);

  afterAll(async () => {
    if (app && app.process.exitCode === null && app.process.signalCode === null) {
      app.process.kill('SIGKILL');
    }
    await wechat?.stop();
  });

  it('finishes the in-flight login, refuses new connections, closes and exits 0', async () => {
    wechat.latencyMs = 1000;
    const phoneCallsBefore = wechat.phoneCalls.length;
    const inFlight = settle(
      call(port, 'POST', '/auth/wechat/phone-login', { code: wechat.phoneCode('13812345678') }),
    );
    let inFlightSettled = false;
    void inFlight.then(() => (inFlightSettled = true));
    // In flight for sure: the app is waiting on (slow) WeChat for this very login.
    await waitFor(
      'the login to reach WeChat',
      () => wechat.phoneCalls.length > phoneCallsBefore,
      5000,
    );
    await sleep(200);

    const sentAt = Date.now();
    expect(app.process.kill('SIGTERM')).toBe(true);
    await waitFor(
      'the "SIGTERM received" log line',
      () => app.stdout().includes('SIGTERM received'),
      3000,
    );
    await sleep(150);

    // A new connection while the login is still in flight: refused, or at least never served.
    const late = await settle(call(port, 'GET', '/health/live'));
    if ('error' in late) {
      expect(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']).toContain(late.error.code);
    } else {
      throw new Error(`a connection made after SIGTERM was served: HTTP ${late.ok.status}`);
    }
    // ...and that was while the login was still being worked on.
    if (inFlightSettled) {
      const early = await inFlight;
      throw new Error(
        'the in-flight login had already ended when the new connection was tried: ' +
          ('error' in early ? early.error.message : `HTTP ${early.ok.status}`),
      );
    }

    const settled = await inFlight;
    if ('error' in settled) {
      throw new Error(
        `the in-flight login got no answer: ${settled.error.message}\n${app.output()}`,
      );
    }
    const answer = settled.ok;
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({
      code: 'PHONE_NOT_REGISTERED',
      phoneNumber: '+8613812345678',
      registrationTicket: expect.any(String),
    });

    const exit = await within(
      app.exited,
      5000,
      () => `still running 5 s after SIGTERM\n${app.output()}`,
    );
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(exit.at - sentAt).toBeLessThan(5000);
    expect(app.stdout()).toMatch(/SIGTERM received/);
    // The database was closed cleanly rather than the request failing on it.
    expect(app.output()).not.toMatch(/DATABASE_UNAVAILABLE|INTERNAL_ERROR|Shutdown failed/);
  }, 30_000);
});

describe('boot with an invalid environment (e2e, child process)', () => {
  it('exits non-zero quickly with one message listing every problem', async () => {
    const dir = tempDir();
    const startedAt = Date.now();
    const app = startMain({ NODE_ENV: 'production' }, dir);
    const exit = await within(
      app.exited,
      30_000,
      () => `still running 30 s after start\n${app.output()}`,
    );
    const output = app.output();
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    // Most of this is ts-node compiling the app; the check itself comes before any connection.
    expect(exit.at - startedAt).toBeLessThan(20_000);

    const messages = output.split('\n').filter((line) => line.includes('Invalid environment'));
    expect(messages).toHaveLength(1);
    for (const variable of ['JWT_SECRET', 'WECHAT_APPID', 'WECHAT_SECRET']) {
      expect(messages[0]).toContain(variable);
      // Listed in that one message, not reported again on a line of its own.
      expect(output.split('\n').filter((line) => line.includes(variable))).toHaveLength(1);
    }
    expect(output).not.toMatch(/\n\s+at \S/);
    // It stopped before touching the default database path.
    expect(existsSync(join(dir, 'data'))).toBe(false);
  }, 40_000);
});
