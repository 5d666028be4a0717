import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { LoggerService } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { Clock } from '../../src/common/clock';
import { LOG_DESTINATION } from '../../src/common/logging/log-destination';
import { loadConfig } from '../../src/config/load-config';
import { FakeWechat } from './fake-wechat';
import { ManualClock } from './manual-clock';

export const E2E_JWT_SECRET = 'e2e-jwt-signing-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0';

/**
 * Every log line the app wrote (pino JSON lines, and Nest's own bootstrap
 * messages), to search for leaked secrets.
 */
export class CapturedLogs extends Writable implements LoggerService {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }

  log(...args: unknown[]): void {
    this.lines.push(args.map(String).join(' '));
  }
  error(...args: unknown[]): void {
    this.log(...args);
  }
  warn(...args: unknown[]): void {
    this.log(...args);
  }
  debug(...args: unknown[]): void {
    this.log(...args);
  }
  verbose(...args: unknown[]): void {
    this.log(...args);
  }
  fatal(...args: unknown[]): void {
    this.log(...args);
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  app: NestExpressApplication;
  /** Base URL of the listening app, for supertest. */
  url: string;
  clock: ManualClock;
  logs: CapturedLogs;
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * Boots the real app through the same configureApp() as main.ts, against
 * the given database URL and fake WeChat, with a clock the test can move.
 * `env` adds or overrides variables for this app only: the app's
 * configuration is loaded from these variables (the environment of the test run is not read).
 */
export async function startApp(options: {
  databaseUrl: string;
  wechat?: FakeWechat;
  env?: Record<string, string>;
}): Promise<TestApp> {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: options.databaseUrl,
    JWT_SECRET: E2E_JWT_SECRET,
    LOG_LEVEL: 'debug',
    // Suites fire hundreds of requests from 127.0.0.1; the rate-limit suite sets its own.
    RATE_LIMIT_PER_MIN: '1000000',
    RATE_LIMIT_AUTH_PER_MIN: '1000000',
    ...(options.wechat
      ? {
          WECHAT_SIMULATOR: 'false',
          WECHAT_APPID: options.wechat.appId,
          WECHAT_SECRET: options.wechat.secret,
          WECHAT_API_BASE_URL: options.wechat.url,
          WECHAT_TIMEOUT_MS: '1000',
        }
      : {}),
    ...options.env,
  };
  // The app's configuration is built from this map alone: nothing of the
  // shell's environment (or a local .env) leaks into a test.
  const config = loadConfig(env);
  const clock = new ManualClock();
  const logs = new CapturedLogs();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
    .overrideProvider(Clock)
    .useValue(clock)
    .overrideProvider(LOG_DESTINATION)
    .useValue(logs)
    .setLogger(logs)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
  configureApp(app);
  // Listening on a real port: supertest then reuses it instead of
  // starting a new server for every request.
  await app.listen(0, '127.0.0.1');
  // Tests drive the token job themselves (refreshIfDue) with a moved clock;
  // a real tick landing mid-test would make fetch counts depend on timing.
  await app.get(SchedulerRegistry).getCronJob('wechat-access-token-refresh').stop();
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    clock,
    logs,
    dataSource: app.get(DataSource),
    close: () => app.close(),
  };
}
