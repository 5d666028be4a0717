/**
 * A/B benchmark: two or three builds (or node-flag sets) of the app measured in the
 * SAME run, interleaved with the bare reference server, so a change is judged
 * against its own baseline on these shared cores rather than against another
 * day's numbers.
 *
 *   npm run bench:ab -- --a .bench-builds/base/main.js --b dist/main.js [options]
 *
 *   --a <path>          main.js of build A (default dist/main.js)
 *   --b <path>          main.js of build B (default dist/main.js: then set flags apart)
 *   --a-flags "<f…>"    node flags of A (default: those of `npm run start:prod`; "" for none)
 *   --b-flags "<f…>"    node flags of B (default: those of `npm run start:prod`)
 *   --c <path>, --c-flags "<f…>"   an optional third build C, measured the same way
 *   --pairs <n>         rounds per level (default 3); each round measures every build and
 *                       then the reference, the builds' order rotating between rounds
 *   --levels, --duration, --users, --clients, --latency: as in bench/login.ts
 *
 * A build to compare with is a copy of dist/ kept inside the checkout (so it
 * resolves node_modules), e.g. `cp -r dist .bench-builds/base`.
 * Prints every measurement, then per build the medians over the rounds:
 * logins/s, CPU ms per login, throughput / reference (the ratio within each
 * round, then its median) and the peak RSS. It writes no file.
 */
import { harnessEnvironment } from '../src/config/harness-environment';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROD_NODE_FLAGS } from '../test/helpers/app-process';
import { hwmOf, measure, registerUsers, Run, Server, warmUp } from './login/measure';
import { DURATION_S, LATENCY_MS, LEVELS, ROOT, USERS, CLIENTS } from './login/options';
import {
  runBench,
  spawnNaiveServer,
  startApp,
  startTwoAppFake,
  Started,
  stopChild,
} from './login/processes';
import { table } from './login/report';
import { argValue } from './support';

const PAIRS = Number(argValue('--pairs') ?? 3);
const flagsOf = (name: string) => {
  const value = argValue(name);
  return value === undefined ? PROD_NODE_FLAGS : value.split(/\s+/).filter(Boolean);
};
type Build = 'A' | 'B' | 'C';
const variantOf = (name: 'a' | 'b' | 'c') => ({
  mainJs: resolve(argValue(`--${name}`) ?? join(ROOT, 'dist/main.js')),
  nodeFlags: flagsOf(`--${name}-flags`),
});
const VARIANTS: Partial<Record<Build, ReturnType<typeof variantOf>>> = {
  A: variantOf('a'),
  B: variantOf('b'),
  ...(argValue('--c') !== undefined || argValue('--c-flags') !== undefined
    ? { C: variantOf('c') }
    : {}),
};
const BUILDS = Object.keys(VARIANTS) as Build[];

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'wx-ab-'));
  const databaseUrl =
    harnessEnvironment().benchDatabaseUrl || `sqlite:${join(work, 'bench.sqlite')}`;
  const log = (line: string) => process.stderr.write(`[ab] ${line}\n`);
  const { child: fakeChild, fake } = await startTwoAppFake(work);
  const apps = {} as Record<Build, Started>;
  for (const build of BUILDS) {
    const variant = VARIANTS[build] as ReturnType<typeof variantOf>;
    apps[build] = await startApp(
      work,
      fake.urls.main,
      databaseUrl,
      `app-${build}`,
      'ready',
      variant,
    );
    log(`${build}: ${variant.mainJs} ${variant.nodeFlags.join(' ')}`);
  }
  await registerUsers(apps.A.url, fake);
  const ref = await spawnNaiveServer(work, fake, 'reference', ['--cache-token']);
  const targets: Partial<Record<Server, { url: string; pid: number }>> = {
    reference: { url: ref.url, pid: ref.child.proc.pid as number },
  };
  for (const build of BUILDS) {
    targets[build] = { url: apps[build].url, pid: apps[build].child.proc.pid as number };
  }
  const targetOf = (server: Server) => targets[server] as { url: string; pid: number };
  const rate: Partial<Record<Server, number>> = {};
  for (const server of [...BUILDS, 'reference'] as Server[]) {
    rate[server] = await warmUp(
      targetOf(server).url,
      fake,
      server === 'reference' ? 'naive' : 'main',
    );
  }
  const runs: Run[] = [];
  const rounds: { level: number; runs: Partial<Record<Server, Run>> }[] = [];
  for (const connections of LEVELS) {
    for (let round = 0; round < PAIRS; round++) {
      // Rotate the builds' order from round to round, the reference last.
      const shift = round % BUILDS.length;
      const order: Server[] = [...BUILDS.slice(shift), ...BUILDS.slice(0, shift), 'reference'];
      const entry = { level: connections, runs: {} as Partial<Record<Server, Run>> };
      for (const server of order) {
        log(`${connections} conns, round ${round + 1}/${PAIRS}: ${server}`);
        const run = await measure(
          server,
          targetOf(server),
          fake,
          { connections },
          (rate[server] ?? 100) * Math.max(1, connections / 50),
        );
        runs.push(run);
        entry.runs[server] = run;
      }
      rounds.push(entry);
    }
  }
  const hwm = BUILDS.map((build) => `${build} ${hwmOf(targetOf(build).pid).toFixed(0)} MB`);
  for (const child of [ref.child, ...BUILDS.map((b) => apps[b].child), fakeChild]) {
    await stopChild(child);
  }
  rmSync(work, { recursive: true, force: true });

  const lines = [
    `A/B: ${PAIRS} rounds per level, ${DURATION_S} s each; fake latency ${LATENCY_MS} ms; ${USERS} users; client IPs ${CLIENTS > 0 ? CLIENTS : '1'}`,
    ...BUILDS.map((build) => {
      const variant = VARIANTS[build] as ReturnType<typeof variantOf>;
      return `${build} = node ${variant.nodeFlags.join(' ')} ${variant.mainJs}`;
    }),
    '',
    ...table(runs),
    '',
    'medians over the rounds:',
  ];
  for (const connections of LEVELS) {
    const at = rounds.filter((r) => r.level === connections);
    for (const server of BUILDS) {
      const own = at.map((r) => r.runs[server] as Run);
      const ratios = at.map(
        (r) => (r.runs[server] as Run).loginsPerSec / (r.runs.reference as Run).loginsPerSec,
      );
      lines.push(
        `  @${connections} ${server}: ${median(own.map((r) => r.loginsPerSec)).toFixed(0)} logins/s,` +
          ` CPU ${median(own.map((r) => r.cpuMsPerLogin)).toFixed(2)} ms/login (rounds: ${own.map((r) => r.cpuMsPerLogin.toFixed(2)).join(' ')}),` +
          ` ×${median(ratios).toFixed(2)} of reference (rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')}),` +
          ` errors ${own.reduce((s, r) => s + r.errors + r.non2xx, 0)}, peak RSS ${Math.max(...own.map((r) => r.peakRssMb)).toFixed(0)} MB,` +
          ` foreign CPU ${median(own.map((r) => r.foreignPct)).toFixed(0)} %`,
      );
    }
    const ref = at.map((r) => r.runs.reference as Run);
    lines.push(
      `  @${connections} reference: ${median(ref.map((r) => r.loginsPerSec)).toFixed(0)} logins/s, CPU ${median(ref.map((r) => r.cpuMsPerLogin)).toFixed(2)} ms/login`,
    );
  }
  lines.push(`  VmHWM over the run: ${hwm.join(', ')}`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

runBench('ab', main);
