import { FakeWechat } from './fake-wechat';
import { LoginFlow } from './login-flow';
import { createTestDatabase, TestDatabase } from './test-database';
import { startApp, TestApp } from './test-app';

/** Two mini-programs of one Open Platform account, for the multi-app suites. */
export const SHOP = { appId: 'wx_shop_0000000001', secret: 'shop-secret' };
export const CARD = { appId: 'wx_card_0000000002', secret: 'card-secret' };
/** The shop through the single-app variables, the member card through WECHAT_APPS. */
export const SHOP_AND_CARD_ENV = { WECHAT_APPS: JSON.stringify([CARD]) };

export interface Suite {
  db: TestDatabase;
  wechat: FakeWechat;
  t: TestApp;
  flow: LoginFlow;
}

/**
 * For one describe block: a fresh database, a fake WeChat on a port and the
 * app booted against both, torn down afterwards. The returned object is
 * filled in by beforeAll, so read its fields inside tests only.
 */
export function useAppWithFakeWechat(
  env: Record<string, string> = {},
  apps?: { appId: string; secret: string }[],
): Suite {
  const suite = useDatabaseAndFakeWechat(apps) as Suite;
  return useAppOn(suite, env, suite);
}

/**
 * A fresh database and a fake WeChat (serving `apps`, the first primary; by
 * default one app) for one describe block, for suites that start their own apps.
 */
export function useDatabaseAndFakeWechat(
  apps?: { appId: string; secret: string }[],
): Pick<Suite, 'db' | 'wechat'> {
  const suite = {} as Pick<Suite, 'db' | 'wechat'>;
  beforeAll(async () => {
    suite.db = await createTestDatabase();
    suite.wechat = await FakeWechat.start(apps);
  });
  afterAll(async () => {
    await suite.wechat?.stop();
    await suite.db?.drop();
  });
  return suite;
}

/**
 * For one describe block nested in a suite whose database and fake WeChat are
 * shared (useDatabaseAndFakeWechat): the app booted against them with `env`,
 * closed afterwards; `t` and `flow` are set on `booted` (a new object by default)
 * by beforeAll: read them inside tests only.
 */
export function useAppOn<T extends Pick<Suite, 't' | 'flow'>>(
  shared: Pick<Suite, 'db' | 'wechat'>,
  env: Record<string, string> = {},
  booted = {} as T,
): T {
  beforeAll(async () => {
    booted.t = await startApp({ databaseUrl: shared.db.url, wechat: shared.wechat, env });
    booted.flow = new LoginFlow(booted.t.url, shared.wechat);
  });
  afterAll(async () => {
    await booted.t?.close();
  });
  return booted;
}

/**
 * For one describe block: the app with the built-in WeChat simulator on a
 * fresh database; with no `env`, as `npm start` runs it with no configuration.
 */
export function useAppWithSimulator(env: Record<string, string> = {}): Pick<Suite, 'db' | 't'> {
  const suite = {} as Pick<Suite, 'db' | 't'>;
  beforeAll(async () => {
    suite.db = await createTestDatabase();
    suite.t = await startApp({ databaseUrl: suite.db.url, env });
  });
  afterAll(async () => {
    await suite.t?.close();
    await suite.db?.drop();
  });
  return suite;
}
