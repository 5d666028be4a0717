import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harnessEnvironment } from '../src/config/harness-environment';
import { REPO_ROOT } from './helpers/app-process';
import { freePort } from './helpers/http-client';

const PROBE = join(REPO_ROOT, 'src', 'health', 'live-probe.ts');
const TS_NODE = require.resolve('ts-node/register/transpile-only');

/** Runs the container's HEALTHCHECK script with exactly these variables; resolves with its exit code. */
function probe(env: Record<string, string>, cwd: string): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', TS_NODE, PROBE],
      {
        cwd,
        env: {
          PATH: harnessEnvironment().inherited.PATH,
          TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'),
          ...env,
        },
      },
      (error) => resolve(error ? Number(error.code ?? 1) : 0),
    );
  });
}

/**
 * deploy/Dockerfile's HEALTHCHECK: it finds the app through the app's own
 * configuration (PORT from the environment or `.env`) and asks /health/live.
 */
describe('the container health probe (e2e, child process)', () => {
  let server: Server;
  let port: number;
  let status = 200;
  const asked: string[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxlogin-probe-'));
    server = createServer((req, res) => {
      asked.push(req.url ?? '');
      res.statusCode = req.url === '/health/live' ? status : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 when /health/live on PORT answers 200, and 1 when it does not', async () => {
    status = 200;
    expect(await probe({ PORT: String(port) }, dir)).toBe(0);
    expect(asked).toContain('/health/live');
    status = 503;
    expect(await probe({ PORT: String(port) }, dir)).toBe(1);
    expect(await probe({ PORT: String(await freePort()) }, dir)).toBe(1);
  }, 60_000);

  it('reads PORT from .env like the app does', async () => {
    status = 200;
    const withEnvFile = mkdtempSync(join(dir, 'env-'));
    writeFileSync(join(withEnvFile, '.env'), `PORT=${port}\n`);
    expect(await probe({}, withEnvFile)).toBe(0);
  }, 60_000);
});
