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
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROD_NODE_FLAGS } from '../test/helpers/app-process';
import { summarizeCpuProfile } from './cpuprofile-top';
import { labelOf, Level } from './login/load';
import {
  Burst,
  coldBurst,
  hwmOf,
  measure,
  registerUsers,
  Run,
  Server,
  warmUp,
} from './login/measure';
import {
  APP_ROOT,
  BURST,
  CLIENTS,
  DATABASE_URL,
  DURATION_S,
  LATENCY_MS,
  LEVELS,
  OPEN_RATE,
  PROFILE,
  ROOT,
  USERS,
  WARMUP_S,
  WITH_NAIVE,
  WITH_REFERENCE,
  WRITE,
} from './login/options';
import {
  killAll,
  runBench,
  spawnNaiveServer,
  startApp,
  startTwoAppFake,
  stopChild,
} from './login/processes';
import { burstLines, comparison, machine, revision, summary, table, targets } from './login/report';

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const dist = join(APP_ROOT, 'dist/main.js');
  if (!existsSync(dist)) {
    throw new Error(
      `${dist} is missing: run \`npm run build\` first (this benchmark runs the built app)`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'wx-bench-'));
  const databaseUrl = DATABASE_URL ?? `sqlite:${join(work, 'bench.sqlite')}`;
  const dbLabel = databaseUrl.startsWith('sqlite:')
    ? 'SQLite (WAL)'
    : databaseUrl.replace(/\/\/[^@]*@/, '//…@');
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  log(`work dir ${work}; database ${dbLabel}; fake WeChat latency ${LATENCY_MS} ms`);

  const { child: fakeChild, fake } = await startTwoAppFake(work);

  const app = await startApp(work, fake.urls.main, databaseUrl, 'app', 'ready');
  const appPid = app.child.proc.pid as number;
  log(`app ready (pid ${appPid}); registering ${USERS} users`);
  await registerUsers(app.url, fake);

  const naive = WITH_NAIVE ? await spawnNaiveServer(work, fake, 'naive', []) : undefined;
  const reference = WITH_REFERENCE
    ? await spawnNaiveServer(work, fake, 'reference', ['--cache-token'])
    : undefined;

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
      connections === 1 ? 200 : rate[server as keyof typeof rate] * Math.max(1, connections / 50),
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
    '',
    ...summary(runs, burst, appHwmMb),
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

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

runBench('bench', main, 'message');
