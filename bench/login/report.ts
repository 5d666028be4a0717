/** The printed table, the comparisons, the targets and the machine description. */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Burst, Run, Server } from './measure';
import { APP_ROOT, BURST, LATENCY_MS, LEVELS } from './options';

// ---------------------------------------------------------------- report
/** Which code was measured: the commit, and whether src/ had uncommitted changes. */
export function revision(): string {
  try {
    const git = (args: string) =>
      execSync(`git ${args}`, { cwd: APP_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    const dirty = git('status --porcelain -- src').length > 0;
    const built = statSync(join(APP_ROOT, 'dist/main.js')).mtime;
    const stale = readdirSync(join(APP_ROOT, 'src'), { recursive: true }).some(
      (file) => statSync(join(APP_ROOT, 'src', String(file))).mtime > built,
    );
    return (
      `${git('rev-parse --short HEAD')}${dirty ? ' + uncommitted changes in src/' : ''},` +
      ` built ${built.toISOString()}${stale ? ' (STALE: src/ changed since; npm run build)' : ''}`
    );
  } catch {
    return `${APP_ROOT} (not a git checkout)`;
  }
}

export function machine(): string[] {
  const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  let nproc = String(cpus().length);
  try {
    nproc = execSync('nproc').toString().trim();
  } catch {
    // os.cpus() then
  }
  return [
    `date: ${new Date().toISOString()}`,
    `cpus (nproc): ${nproc} × ${cpuModel ?? cpus()[0]?.model ?? 'unknown'}`,
    `memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `node: ${process.version}, ${process.platform} ${process.arch}`,
  ];
}

export function pad(cells: string[], widths: number[]): string {
  return cells
    .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
    .join('  ');
}

export function table(runs: Run[]): string[] {
  const head = [
    'load (conns)',
    'server',
    'logins/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    '1st/conn max ms',
    'non-2xx',
    'errors',
    'wx phone/login',
    'token fetches',
    'peak RSS MB',
    'CPU ms/req',
    'foreign CPU %',
  ];
  const rows = runs.map((r) => [
    r.label,
    r.server,
    r.loginsPerSec.toFixed(0),
    r.p50.toFixed(0),
    r.p99.toFixed(0),
    r.max.toFixed(0),
    r.firstRequestMax === undefined ? '-' : r.firstRequestMax.toFixed(0),
    `${r.non2xx}${r.statuses ? ` (${r.statuses})` : ''}`,
    String(r.errors),
    Number.isNaN(r.phoneCallsPerLogin) ? '-' : r.phoneCallsPerLogin.toFixed(2),
    String(r.tokenFetches),
    r.peakRssMb.toFixed(0),
    r.cpuMsPerLogin.toFixed(2),
    r.foreignPct.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [
    pad(head, widths),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((row) => pad(row, widths)),
  ];
}

export function comparison(runs: Run[]): string[] {
  const lines: string[] = [];
  const labels = [...new Set(runs.map((r) => r.label))];
  const width = Math.max(...labels.map((label) => label.length));
  const vs = (a: Run, b: Run, what: string) =>
    `${what} throughput ×${(a.loginsPerSec / b.loginsPerSec).toFixed(2)}` +
    ` (${a.loginsPerSec.toFixed(0)} vs ${b.loginsPerSec.toFixed(0)} logins/s), p99 ${a.p99.toFixed(0)} vs ${b.p99.toFixed(0)} ms`;
  for (const label of labels) {
    const of = (server: Server) => runs.find((r) => r.server === server && r.label === label);
    const [ours, naive, reference] = [of('ours'), of('naive'), of('reference')];
    const parts = [
      ...(ours && naive ? [vs(ours, naive, 'ours/naive')] : []),
      ...(reference && naive ? [vs(reference, naive, 'reference/naive')] : []),
      ...(ours && reference ? [vs(ours, reference, 'ours/reference')] : []),
    ];
    parts.forEach((part, i) => lines.push(`${(i === 0 ? label : '').padStart(width)}  ${part}`));
  }
  return lines;
}

export function targets(runs: Run[], burst: Burst | undefined, appHwmMb: number): string[] {
  const top = Math.max(...LEVELS);
  const ours = runs.find((r) => r.server === 'ours' && r.connections === top && !r.rate);
  const naive = runs.find((r) => r.server === 'naive' && r.connections === top && !r.rate);
  const reference = runs.find((r) => r.server === 'reference' && r.connections === top && !r.rate);
  const open = runs.find((r) => r.server === 'ours' && r.rate);
  const openNaive = runs.find((r) => r.server === 'naive' && r.rate);
  const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const lines: string[] = [];
  if (ours) {
    const budget = LATENCY_MS + 15;
    lines.push(
      `${mark(ours.p99 <= budget)}  p99 at ${top} conns ≤ fake latency + 15 ms (${budget} ms): ${ours.p99.toFixed(0)} ms`,
    );
    // Little's law for a closed loop: mean latency = connections / throughput.
    lines.push(
      `      (closed loop: mean latency = ${top} / ${ours.loginsPerSec.toFixed(0)} per s = ${((1000 * top) / ours.loginsPerSec).toFixed(0)} ms;` +
        ` p99 ≤ ${budget} ms needs > ${Math.ceil((1000 * top) / budget)} logins/s)`,
    );
    if (reference) {
      lines.push(
        `      (reference, no framework, same machine: ${reference.loginsPerSec.toFixed(0)} logins/s, p99 ${reference.p99.toFixed(0)} ms)`,
      );
    }
  }
  if (open) {
    const budget = LATENCY_MS + 15;
    const openReference = runs.find((r) => r.server === 'reference' && r.rate);
    lines.push(
      `${mark(open.p99 <= budget)}  p99 at ${open.label} (open loop) ≤ ${budget} ms: ${open.p99.toFixed(0)} ms` +
        (openNaive ? ` (naive ${openNaive.p99.toFixed(0)} ms` : '') +
        (openReference ? `, reference ${openReference.p99.toFixed(0)} ms` : '') +
        (openNaive ? ')' : ''),
    );
  }
  if (ours && naive) {
    const ratio = ours.loginsPerSec / naive.loginsPerSec;
    lines.push(`${mark(ratio >= 2)}  throughput at ${top} conns ≥ 2× naive: ×${ratio.toFixed(2)}`);
    if (reference) {
      // The reference is the naive server minus its token fetch: when every
      // server is CPU-bound, the most that caching the token can buy here.
      lines.push(
        `      (reference, no framework, same machine: ×${(reference.loginsPerSec / naive.loginsPerSec).toFixed(2)} of naive)`,
      );
    }
  }
  const peak = Math.max(
    appHwmMb,
    ...runs.filter((r) => r.server === 'ours').map((r) => r.peakRssMb),
  );
  lines.push(
    `${mark(peak <= 150)}  app RSS ≤ 150 MB: peak ${peak.toFixed(0)} MB (VmHWM over the whole run)`,
  );
  if (burst) {
    lines.push(
      `${mark(burst.tokenFetches === 1)}  cold burst: token fetches = 1: ${burst.tokenFetches}`,
    );
    lines.push(`${mark(burst.errors === 0)}  cold burst: errors = 0: ${burst.errors}`);
  }
  return lines;
}

export function burstLines(burst: Burst): string[] {
  return [
    `cold burst: ${BURST} concurrent logins fired at a fresh instance (no stored token) as soon as /health/live answered (${burst.liveAfterMs} ms after spawn)`,
    `  answered ${burst.requests}: ${burst.statuses || '-'}; errors ${burst.errors}`,
    `  WeChat token fetches ${burst.tokenFetches}, phone calls ${burst.phoneCalls}`,
    `  latency p50 ${burst.p50.toFixed(0)} ms, p99 ${burst.p99.toFixed(0)} ms, max ${burst.max.toFixed(0)} ms; peak RSS ${burst.peakRssMb.toFixed(0)} MB`,
  ];
}

/**
 * The closing summary: what a login costs the app, how close it comes to the
 * bare reference in the same run, and each target of the performance issue
 * (CPU per login, reference ratio at 50 and 200 connections, WeChat calls per
 * login, errors, cold burst, RSS) as PASS or MISS with the measured number.
 */
export function summary(runs: Run[], burst: Burst | undefined, appHwmMb: number): string[] {
  const closed = (server: Server, connections: number) =>
    runs.find((r) => r.server === server && r.connections === connections && !r.rate);
  const ours = runs.filter((r) => r.server === 'ours');
  const loaded = ours.filter((r) => !r.rate && r.connections >= 50);
  const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const lines: string[] = [
    'summary (the app = ours; reference = bare node:http, same work, same run):',
  ];
  // CPU per login where the app is saturated (50 and more connections): the
  // mean over those levels, so one noisy level does not decide it alone.
  const cpu =
    loaded.length > 0 ? loaded.reduce((s, r) => s + r.cpuMsPerLogin, 0) / loaded.length : NaN;
  const referenceCpu = runs.filter(
    (r) => r.server === 'reference' && !r.rate && r.connections >= 50,
  );
  const refCpu =
    referenceCpu.length > 0
      ? referenceCpu.reduce((s, r) => s + r.cpuMsPerLogin, 0) / referenceCpu.length
      : NaN;
  lines.push(
    `${mark(cpu <= 1.0)}  CPU per login ≤ 1.0 ms: ${cpu.toFixed(2)} ms` +
      ` (levels ${loaded.map((r) => `${r.connections}: ${r.cpuMsPerLogin.toFixed(2)}`).join(', ')};` +
      ` reference ${Number.isNaN(refCpu) ? '-' : refCpu.toFixed(2)} ms)`,
  );
  for (const connections of [50, 200]) {
    const app = closed('ours', connections);
    const reference = closed('reference', connections);
    if (!app || !reference) {
      lines.push(`MISS  throughput ≥ 0.6× reference at ${connections} conns: not measured`);
      continue;
    }
    const ratio = app.loginsPerSec / reference.loginsPerSec;
    lines.push(
      `${mark(ratio >= 0.6)}  throughput ≥ 0.6× reference at ${connections} conns: ×${ratio.toFixed(2)}` +
        ` (${app.loginsPerSec.toFixed(0)} vs ${reference.loginsPerSec.toFixed(0)} logins/s)`,
    );
  }
  const calls = ours.filter((r) => !Number.isNaN(r.phoneCallsPerLogin));
  const worstCalls = Math.max(...calls.map((r) => r.phoneCallsPerLogin));
  lines.push(
    `${mark(worstCalls.toFixed(2) === '1.00')}  WeChat phone calls per login = 1.00: ${calls.map((r) => `${r.label}: ${r.phoneCallsPerLogin.toFixed(2)}`).join(', ')}`,
  );
  const errors = ours.reduce((s, r) => s + r.errors + r.non2xx, 0);
  lines.push(
    `${mark(errors === 0)}  errors = 0: ${errors}` +
      (errors > 0
        ? ` (${ours
            .filter((r) => r.errors + r.non2xx > 0)
            .map((r) => `${r.label}: ${r.errors} errors, ${r.non2xx} non-2xx ${r.statuses}`)
            .join('; ')})`
        : ''),
  );
  if (burst) {
    lines.push(
      `${mark(burst.tokenFetches === 1 && burst.errors === 0)}  cold burst: 1 token fetch, 0 errors: ${burst.tokenFetches} fetch(es), ${burst.errors} errors`,
    );
  } else {
    lines.push('MISS  cold burst: not run (--burst 0)');
  }
  const peak = Math.max(appHwmMb, ...ours.map((r) => r.peakRssMb));
  lines.push(
    `${mark(peak <= 150)}  RSS under load ≤ 150 MB: peak ${peak.toFixed(0)} MB (VmHWM over all levels)` +
      (burst ? `; cold burst ${burst.peakRssMb.toFixed(0)} MB` : ''),
  );
  return lines;
}
