/**
 * Memory under a flood of distinct client IPs: the rate limiter's in-memory
 * store must stay bounded (README "Operating in production", Limits).
 *
 *   npm run bench:throttle-memory [-- --requests 200000 --connections 32 --main <dist/main.js>]
 *
 * Starts the built app (dist/main.js, `npm run build` first) as its own process
 * with the node flags of `npm run start:prod`, NODE_ENV=test (JSON logs as in
 * production, LOG_LEVEL=warn, the built-in WeChat simulator on, so no WeChat
 * fake is needed), TRUST_PROXY=1 and the default limits. Sends `--requests`
 * GET /users/me (throttled, answered 401 without a token: no WeChat call, no
 * database) over `--connections` keep-alive connections on loopback, each
 * request from a new client (X-Forwarded-For: alternately an IPv4 address and
 * an address in a new IPv6 /64). Samples the app's RSS from /proc/<pid>/status
 * every 100 ms, then prints peak and final RSS, requests/s, the answers, and
 * whether the process is still alive and answering. Stops after --max-seconds
 * (default 300) whatever happens.
 *
 * `--main` runs another build's dist/main.js, e.g. an older revision built in a
 * temporary directory, to measure the store before it was bounded.
 */
import { Agent, request } from 'node:http';
import { launchApp, PROD_NODE_FLAGS } from '../test/helpers/app-process';
import { httpCall } from '../test/helpers/http-client';
import { argValue, statusMb } from './support';

const REQUESTS = Number(argValue('--requests') ?? 200_000);
const CONNECTIONS = Number(argValue('--connections') ?? 32);
const MAX_SECONDS = Number(argValue('--max-seconds') ?? 300);
const MAIN = argValue('--main');

/** Client i: IPv4 10.x.y.z for even i, an address in its own /64 of 2001:db8::/32 for odd i. */
function clientIp(i: number): string {
  const n = i >> 1;
  if (i % 2 === 0) return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  return `2001:db8:${((n >> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}::1`;
}

function get(agent: Agent, port: number, ip: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/users/me', agent, headers: { 'X-Forwarded-For': ip } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.setTimeout(10_000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function main(): Promise<void> {
  const app = await launchApp({
    mainJs: MAIN,
    nodeArgs: PROD_NODE_FLAGS,
    env: { TRUST_PROXY: '1', LOG_LEVEL: 'warn' },
  });
  const idleMb = statusMb(app.pid, 'VmRSS');
  let peakMb = idleMb;
  const samples: { atMs: number; mb: number }[] = [];
  const startedAt = Date.now();
  const sampler = setInterval(() => {
    if (app.hasExited()) return;
    const mb = statusMb(app.pid, 'VmRSS');
    if (mb > 0) {
      peakMb = Math.max(peakMb, mb);
      samples.push({ atMs: Date.now() - startedAt, mb });
    }
  }, 100);

  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const statuses = new Map<number, number>();
  let next = 0;
  let sent = 0;
  const deadline = startedAt + MAX_SECONDS * 1000;
  const worker = async () => {
    while (next < REQUESTS && Date.now() < deadline && !app.hasExited()) {
      const status = await get(agent, app.port, clientIp(next++));
      sent++;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsedS = (Date.now() - startedAt) / 1000;
  agent.destroy();

  // Let in-flight work settle, then look at the process once more.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  clearInterval(sampler);
  const alive = !app.hasExited();
  const finalMb = alive ? statusMb(app.pid, 'VmRSS') : 0;
  const live = alive
    ? await httpCall('GET', `${app.url}/health/live`, { timeoutMs: 5000 }).then(
        (answer) => answer.status,
        () => 0,
      )
    : 0;
  const hwmMb = alive ? statusMb(app.pid, 'VmHWM') : peakMb;
  const output = app.output();
  await app.stop();

  const mb = (value: number) => `${value.toFixed(1)} MB`;
  const answers = [...statuses.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status === 0 ? 'no answer' : status}: ${count}`)
    .join(', ');
  const lines = [
    `app: node ${PROD_NODE_FLAGS.join(' ')} ${MAIN ?? 'dist/main.js'} (NODE_ENV=test, simulator on, TRUST_PROXY=1)`,
    `requests: ${sent} of ${REQUESTS} sent, each from a distinct client (half IPv4, half distinct IPv6 /64s), ${CONNECTIONS} keep-alive connections`,
    `answers: ${answers}`,
    `throughput: ${Math.round(sent / elapsedS)} requests/s over ${elapsedS.toFixed(1)} s`,
    `RSS: idle ${mb(idleMb)}, peak ${mb(Math.max(peakMb, hwmMb))}, final ${alive ? mb(finalMb) : '(process gone)'}`,
    `process after the run: ${alive ? `alive, GET /health/live → ${live}` : 'DEAD'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!alive) process.stdout.write(`last output:\n${output.slice(-2000)}\n`);
  process.exitCode = alive && live === 200 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
