import { RawEnv } from './env-reader';

/**
 * The variables that steer the test suites and the benchmarks, never the app.
 * They are read here so that src/config stays the only reader of the
 * environment; the app's own variables go through readEnvironment() and
 * loadConfig(). A `.env` file is not read for these: a suite runs the same
 * whatever a developer keeps there.
 */
export interface HarnessEnvironment {
  /** E2E_MYSQL_URL: a MySQL/MariaDB server for the e2e suites (`mariadb://root@127.0.0.1:3306/`); unset: SQLite. */
  mysqlUrl?: string;
  /** E2E_REDIS_URL: a Redis server for the suites that share state across instances. */
  redisUrl?: string;
  /** SWEEP_SEED: the bad-input sweep's base seed, to replay a failure. */
  sweepSeed?: number;
  /** SWEEP_VERBOSE: the sweep prints how many requests each family sent. */
  sweepVerbose: boolean;
  /** SWAGGER_UI_SCREENSHOT: where the browser check saves its screenshot. */
  swaggerUiScreenshot?: string;
  /** OPERATOR_PAGE_SCREENSHOT: where the operator page's browser check saves its screenshot. */
  operatorPageScreenshot?: string;
  /** BENCH_APP_ROOT: benchmark another checkout's build (a reference run). */
  benchAppRoot?: string;
  /** BENCH_LATENCY_MS: the fake WeChat's latency (the --latency flag wins). */
  benchLatencyMs?: number;
  /** BENCH_DATABASE_URL: the benchmarked app's database; unset: a SQLite file. */
  benchDatabaseUrl?: string;
  /** BENCH_MYSQL_URL: a MySQL/MariaDB server where a bench creates (and drops) a database of its own. */
  benchMysqlUrl?: string;
  /** GUARD_BENCH_MODE: which account check bench/guard/server.ts runs (cached, uncached, off). */
  guardBenchMode?: string;
  /** BENCH_APP_NODE_OPTIONS: NODE_OPTIONS for the benchmarked app. */
  benchAppNodeOptions?: string;
  /** PATH and HOME, the only variables a child process the harness starts inherits. */
  inherited: { PATH: string; HOME?: string };
}

export function harnessEnvironment(env: RawEnv = process.env): HarnessEnvironment {
  const value = (name: string) => {
    const given = env[name]?.trim();
    return given === undefined || given === '' ? undefined : given;
  };
  const number = (name: string) => {
    const given = value(name);
    return given === undefined ? undefined : Number(given);
  };
  return {
    mysqlUrl: value('E2E_MYSQL_URL'),
    redisUrl: value('E2E_REDIS_URL'),
    sweepSeed: number('SWEEP_SEED'),
    sweepVerbose: value('SWEEP_VERBOSE') !== undefined,
    swaggerUiScreenshot: value('SWAGGER_UI_SCREENSHOT'),
    operatorPageScreenshot: value('OPERATOR_PAGE_SCREENSHOT'),
    benchAppRoot: value('BENCH_APP_ROOT'),
    benchLatencyMs: number('BENCH_LATENCY_MS'),
    benchDatabaseUrl: value('BENCH_DATABASE_URL'),
    benchMysqlUrl: value('BENCH_MYSQL_URL'),
    guardBenchMode: value('GUARD_BENCH_MODE'),
    benchAppNodeOptions: value('BENCH_APP_NODE_OPTIONS'),
    inherited: { PATH: value('PATH') ?? '/usr/bin:/bin', HOME: value('HOME') },
  };
}
