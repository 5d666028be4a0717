/** Small helpers shared by the benchmark's scripts and child processes. */
import { readFileSync, writeFileSync } from 'node:fs';

/** `--name value` or `--name=value` from the command line. */
export function argValue(name: string, argv = process.argv): string | undefined {
  const index = argv.indexOf(name);
  if (index >= 0) return argv[index + 1];
  const inline = argv.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

export function hasFlag(name: string, argv = process.argv): boolean {
  return argv.includes(name);
}

/** The two WeChat apps the fake serves: the app under test and the naive baseline. */
export const BENCH_APPS = {
  main: { appId: 'wxbench00000000main', secret: 'bench-main-app-secret-0001' },
  naive: { appId: 'wxbench0000000naive', secret: 'bench-naive-app-secret-0001' },
} as const;
export type BenchApp = keyof typeof BENCH_APPS;

/** First registered phone number; user i has BENCH_PHONE_BASE + i. */
export const BENCH_PHONE_BASE = 13900000000;

export function benchPhone(index: number): string {
  return String(BENCH_PHONE_BASE + index);
}

/** The process and its descendants (a server may fork workers, e.g. node:cluster). */
export function processTree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    return [pid, ...children.flatMap(processTree)];
  } catch {
    return [pid];
  }
}

/** A field of /proc/<pid>/status in MB, summed over the process tree. */
export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  let kb = 0;
  for (const member of processTree(pid)) {
    try {
      const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(
        readFileSync(`/proc/${member}/status`, 'utf8'),
      );
      kb += match ? Number(match[1]) : 0;
    } catch {
      // exited meanwhile
    }
  }
  return kb / 1024;
}

/**
 * Sets the nice of this session's autogroup (--nice of bench/soak.ts and
 * bench/scale-out.ts): with the kernel's autogroups on, CPU is shared between
 * sessions before a process's own nice counts. Returns how to put it back.
 */
export function raiseSessionPriority(nice: number): () => void {
  const file = '/proc/self/autogroup';
  try {
    const before = /nice (-?\d+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? '0';
    writeFileSync(file, String(nice));
    return () => {
      try {
        writeFileSync(file, before);
      } catch {
        // the session is gone
      }
    };
  } catch {
    return () => undefined;
  }
}
