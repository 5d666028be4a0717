/** The login benchmark's command-line options (listed at the top of bench/login.ts). */
import { execSync } from 'node:child_process';
import { resolve } from 'node:path';
import { harnessEnvironment } from '../../src/config/harness-environment';
import { argValue, hasFlag } from '../support';

export const ROOT = resolve(__dirname, '../..');
const harness = harnessEnvironment();
export const APP_ROOT = resolve(harness.benchAppRoot ?? ROOT);
export const LATENCY_MS = Number(argValue('--latency') ?? harness.benchLatencyMs ?? 25);
/** The benchmarked app's database; unset: a SQLite file in the work dir. */
export const DATABASE_URL = harness.benchDatabaseUrl;
/** NODE_OPTIONS for the benchmarked app (e.g. a heap profile). */
export const APP_NODE_OPTIONS = harness.benchAppNodeOptions;
export const DURATION_S = Number(argValue('--duration') ?? 10);
export const LEVELS = (argValue('--levels') ?? '1,50,200').split(',').map(Number);
export const USERS = Number(argValue('--users') ?? 1000);
export const BURST = Number(argValue('--burst') ?? 1000);
export const CLIENTS = Number(argValue('--clients') ?? USERS);
export const OPEN_RATE = argValue('--rate') ?? 'auto';
export const WITH_NAIVE = !hasFlag('--no-naive');
export const WITH_REFERENCE = !hasFlag('--no-reference');
export const PROFILE = hasFlag('--profile');
export const WRITE = !hasFlag('--no-write') && !PROFILE;
export const WARMUP_S = 3;
/** Max allowed by the app's env validation (RATE_LIMIT_*_PER_MIN ≤ 1,000,000). */
export const RATE_LIMIT = '1000000';
export const CLOCK_TICKS = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
