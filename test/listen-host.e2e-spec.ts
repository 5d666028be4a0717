import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, startMain, waitUntilReady } from './helpers/app-process';
import { freePort } from './helpers/http-client';

/**
 * Which address the real entry point listens on while the WeChat simulator is
 * on (anyone who reaches it can log in as any phone number). Needs an address
 * of this machine other than loopback to try from.
 */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

const describeWithLan = lanAddress ? describe : describe.skip;

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The process's output once it matches `pattern`, or as it is after 10 s. */
async function outputOf(app: AppProcess, pattern: RegExp): Promise<string> {
  for (let waited = 0; waited < 10_000 && !pattern.test(app.output()); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return app.output();
}

describeWithLan('HOST with the simulator on (e2e, child process)', () => {
  const started: { app: AppProcess; dir: string }[] = [];

  async function startSimulatorApp(
    env: Record<string, string>,
  ): Promise<{ app: AppProcess; port: number }> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'wxlogin-host-'));
    const app = startMain(
      {
        PORT: String(port),
        NODE_ENV: 'development',
        DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}`,
        LOG_LEVEL: 'info',
        ...env,
      },
      dir,
    );
    started.push({ app, dir });
    await waitUntilReady(app, port);
    return { app, port };
  }

  afterAll(async () => {
    for (const { app, dir } of started) {
      if (app.process.exitCode === null) {
        app.process.kill('SIGTERM');
        await app.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('listens on loopback only by default, and an explicit HOST wins with a warning', async () => {
    const [byDefault, explicit] = await Promise.all([
      startSimulatorApp({}),
      startSimulatorApp({ HOST: '0.0.0.0' }),
    ]);

    expect(await accepts('127.0.0.1', byDefault.port)).toBe(true);
    expect(await accepts(lanAddress!, byDefault.port)).toBe(false);
    // The warning would come right after "Listening on": wait for that line, then look.
    expect(await outputOf(byDefault.app, /Listening on/)).toMatch(/Listening on 127\.0\.0\.1/);
    expect(byDefault.app.output()).not.toMatch(/anyone who can reach/);

    expect(await accepts(lanAddress!, explicit.port)).toBe(true);
    // Logged right after listening: on a busy machine it may reach the pipe after the first answer.
    expect(
      await outputOf(explicit.app, /simulator is on and listening on HOST=0\.0\.0\.0/),
    ).toMatch(/simulator is on and listening on HOST=0\.0\.0\.0/);
  }, 120_000); // two processes booting through ts-node on a shared machine
});
