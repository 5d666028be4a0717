import { FakeWechat } from './fake-wechat';
import { LoginFlow } from './login-flow';
import { createTestDatabase, TestDatabase } from './test-database';
import { startApp, TestApp } from './test-app';

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
export function useAppWithFakeWechat(env: Record<string, string> = {}): Suite {
  const suite = useDatabaseAndFakeWechat() as Suite;
  beforeAll(async () => {
    suite.t = await startApp({ databaseUrl: suite.db.url, wechat: suite.wechat, env });
    suite.flow = new LoginFlow(suite.t.url, suite.wechat);
  });
  afterAll(async () => {
    await suite.t?.close();
  });
  return suite;
}

/** A fresh database and a fake WeChat for one describe block, for suites that start their own apps. */
export function useDatabaseAndFakeWechat(): Pick<Suite, 'db' | 'wechat'> {
  const suite = {} as Pick<Suite, 'db' | 'wechat'>;
  beforeAll(async () => {
    suite.db = await createTestDatabase();
    suite.wechat = await FakeWechat.start();
  });
  afterAll(async () => {
    await suite.wechat?.stop();
    await suite.db?.drop();
  });
  return suite;
}
