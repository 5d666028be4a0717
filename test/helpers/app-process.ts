import { ChildProcess, spawn } from 'node:child_process';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const ENTRY = join(ROOT, 'src', 'main.ts');
const TS_NODE_REGISTER = require.resolve('ts-node/register/transpile-only');

export interface AppProcess {
  process: ChildProcess;
  output(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/**
 * Starts the real entry point (src/main.ts, through ts-node: no build needed)
 * as its own process, with exactly `env` plus PATH: nothing inherited, so the
 * test decides everything the process sees. Run it in a temporary `cwd` so a
 * developer's `.env` cannot leak in.
 */
export function startMain(env: Record<string, string>, cwd: string): AppProcess {
  const child = spawn(process.execPath, ['-r', TS_NODE_REGISTER, ENTRY], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let all = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    all += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    all += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
    },
  );
  return { process: child, output: () => all, stdout: () => stdout, exited };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls GET /health/ready until it answers 200, or fails with the process output. */
export async function waitUntilReady(
  app: AppProcess,
  port: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.process.exitCode !== null) {
      throw new Error(`the app exited with ${app.process.exitCode}:\n${app.output()}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the app was not ready within ${timeoutMs} ms:\n${app.output()}`);
}
