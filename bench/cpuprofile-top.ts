/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): where the samples
 * fall, by package / source file and by function, self and inclusive time.
 *
 *   npx ts-node bench/cpuprofile-top.ts <file.cpuprofile> [--top 25] [--from-s 12 --to-s 22]
 *
 * bench/login.ts --profile calls it on the app's profile.
 */
import { readFileSync } from 'node:fs';
import { argValue } from './support';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Only the samples taken between these offsets (ms since the profile started). */
export interface Window {
  fromMs: number;
  toMs: number;
}

/** `node_modules/@nestjs/core` → `@nestjs/core`, `dist/auth/x.js` → `app:auth/x.js`. */
export function ownerOf(url: string): string {
  if (url === '') return '(native/V8)';
  if (url.startsWith('node:')) return url;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return `app:${url.slice(dist + '/dist/'.length)}`;
  return url.replace(/^file:\/\//, '');
}

function label(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return name;
  const file = frame.url.split('/').slice(-1)[0];
  const owner = ownerOf(frame.url);
  return `${name} ${owner}${owner.endsWith(file) ? '' : `/${file}`}:${frame.lineNumber + 1}`;
}

export function summarizeCpuProfile(path: string, top = 25, window?: Window): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);

  // Hit counts per node: from `samples` when present (exact), else hitCount.
  const hits = new Map<number, number>();
  let spanMs = (profile.endTime - profile.startTime) / 1000;
  if (profile.samples && profile.samples.length > 0) {
    let atUs = 0;
    let firstUs = Number.POSITIVE_INFINITY;
    let lastUs = 0;
    profile.samples.forEach((id, i) => {
      atUs += profile.timeDeltas?.[i] ?? 0;
      if (window && (atUs < window.fromMs * 1000 || atUs > window.toMs * 1000)) return;
      firstUs = Math.min(firstUs, atUs);
      lastUs = atUs;
      hits.set(id, (hits.get(id) ?? 0) + 1);
    });
    if (window) spanMs = Math.max(0, lastUs - firstUs) / 1000;
  } else {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  }
  const total = [...hits.values()].reduce((a, b) => a + b, 0);
  const msPerSample = total > 0 ? spanMs / total : 0;

  const selfByOwner = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  for (const [id, count] of hits) {
    const node = byId.get(id);
    if (!node || count === 0) continue;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
      if (name === '(idle)') idle += count;
      add(selfByOwner, name, count);
      add(selfByFunction, name, count);
      continue;
    }
    add(selfByOwner, ownerOf(node.callFrame.url), count);
    add(selfByFunction, label(node.callFrame), count);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.functionName === '(root)') continue;
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, count);
    }
  }
  const busy = total - idle;
  const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1).padStart(5)}%`;
  const lines = [
    `${path}${window ? ` (samples from ${(window.fromMs / 1000).toFixed(1)} s to ${(window.toMs / 1000).toFixed(1)} s)` : ''}`,
    `${total} samples, ${(total * msPerSample).toFixed(0)} ms, busy (not idle) ${pct(busy, total)}; percentages below are of busy samples`,
    '',
    'self time by package / file:',
    ...topOf(selfByOwner, top).map(([k, n]) => `  ${pct(n, busy)}  ${k}`),
    '',
    'self time by function:',
    ...topOf(selfByFunction, top).map(([k, n]) => `  ${pct(n, busy)}  ${k}`),
    '',
    'inclusive time by function:',
    ...topOf(inclusive, top).map(([k, n]) => `  ${pct(n, busy)}  ${k}`),
  ];
  return lines.join('\n');
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function topOf(map: Map<string, number>, n: number): [string, number][] {
  return [...map.entries()]
    .filter(([key]) => key !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: ts-node bench/cpuprofile-top.ts <file.cpuprofile> [--top 25]\n');
    process.exit(2);
  }
  const top = Number(argValue('--top') ?? 25);
  const from = argValue('--from-s');
  const to = argValue('--to-s');
  const window =
    from !== undefined || to !== undefined
      ? { fromMs: Number(from ?? 0) * 1000, toMs: to === undefined ? Infinity : Number(to) * 1000 }
      : undefined;
  process.stdout.write(`${summarizeCpuProfile(file, top, window)}\n`);
}
