import request from 'supertest';
import { STANDING_TTL_MS } from '../src/users/account-standing';
import { LoginFlow } from './helpers/login-flow';
import { useDatabaseAndFakeWechat } from './helpers/suite';
import { startApp, TestApp } from './helpers/test-app';

/** The contract's bound: a deleted user's access token is refused everywhere within this. */
const REFUSED_WITHIN_MS = 5_000;

/**
 * Two instances on one database: a deletion made through one must close the
 * user's access tokens on the other, which has its own AccountStanding cache
 * and never heard of the deletion.
 */
describe('account deletion across instances (e2e)', () => {
  const s = useDatabaseAndFakeWechat();
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startApp({ databaseUrl: s.db.url, wechat: s.wechat });
    b = await startApp({ databaseUrl: s.db.url, wechat: s.wechat });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const me = (t: TestApp, accessToken: string) =>
    request(t.url).get('/users/me').set('Authorization', `Bearer ${accessToken}`);

  it("refuses the deleted user's access token on the second instance within 5 s", async () => {
    expect(STANDING_TTL_MS).toBeLessThanOrEqual(REFUSED_WITHIN_MS);
    const session = await new LoginFlow(a.url, s.wechat).registerNewUser('13912340001');
    // Instance B has just seen the user active: its cache says so.
    await me(b, session.accessToken).expect(200);

    await request(a.url)
      .delete('/users/me')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(204);
    await me(a, session.accessToken).expect(401);

    b.clock.advance(REFUSED_WITHIN_MS);
    const refused = await me(b, session.accessToken).expect(401);
    expect(refused.body).toMatchObject({ code: 'UNAUTHORIZED' });
    await request(b.url)
      .get('/users/me/sessions')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(401);
  });
});
