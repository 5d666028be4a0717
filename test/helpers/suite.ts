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
  const suite = {} as Suite;
  beforeAll(async () => {
    suite.db = await createTestDatabase();
    suite.wechat = await FakeWechat.start();
    suite.t = await startApp({ databaseUrl: suite.db.url, wechat: suite.wechat, env });
    suite.flow = new LoginFlow(suite.t.url, suite.wechat);
  });
  afterAll(async () => {
    await suite.t?.close();
    await suite.wechat?.stop();
    await suite.db?.drop();
  });
  return suite;
}
