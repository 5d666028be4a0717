/**
 * The app for bench/guard.ts, in one of three modes (GUARD_BENCH_MODE), everything else
 * as `npm start` builds it (the same module, configureApp, the environment):
 *
 * - `cached`: as deployed: AccountStanding reads a user at most once per
 *   STANDING_TTL_MS on this instance;
 * - `uncached`: AccountStanding reads the user on every request (its cache
 *   emptied before each check): the cost of the indexed read itself;
 * - `off`: no standing check at all (what the guard cost before it existed).
 *
 * A bench-only switch: the app itself has no way to turn the check off.
 */
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { readEnvironment } from '../../src/config/environment';
import { harnessEnvironment } from '../../src/config/harness-environment';
import { loadConfig } from '../../src/config/load-config';
import { AccountStanding } from '../../src/users/account-standing';

export type GuardMode = 'cached' | 'uncached' | 'off';

async function main(): Promise<void> {
  const mode = harnessEnvironment().guardBenchMode as GuardMode;
  const loaded = loadConfig(readEnvironment());
  const builder = Test.createTestingModule({ imports: [AppModule.forRoot(loaded)] });
  if (mode === 'off') {
    builder.overrideProvider(AccountStanding).useValue({
      assertActive: () => Promise.resolve(),
      of: () => Promise.resolve('active'),
      forget: () => undefined,
    });
  }
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
  configureApp(app);
  if (mode === 'uncached') {
    const standing = app.get(AccountStanding);
    const check = standing.assertActive.bind(standing);
    standing.assertActive = (userId: string) => {
      standing.forget(userId);
      return check(userId);
    };
  }
  await app.listen(loaded.config.app.port, '127.0.0.1');
}

void main();
