import request from 'supertest';
import { User } from '../src/users/user.entity';
import { STANDING_TTL_MS } from '../src/users/account-standing';
import { LoginBody } from './helpers/login-flow';
import { Suite, useAppWithFakeWechat } from './helpers/suite';

/**
 * A signed access token outlives what happens to its user: the guard asks the
 * users table (through a per-instance cache of STANDING_TTL_MS) whether the
 * user was blocked or deleted since. Blocked users are also refused on every
 * login path and on refresh, without anything being written or spent.
 */
describe('blocked and deleted users (e2e)', () => {
  const s: Suite = useAppWithFakeWechat();
  let phoneSeq = 0;
  const nextPhone = () => `1360000${String(++phoneSeq).padStart(4, '0')}`;

  const me = (accessToken: string) =>
    request(s.t.url).get('/users/me').set('Authorization', `Bearer ${accessToken}`);
  const refresh = (refreshToken: string) =>
    request(s.t.url).post('/auth/refresh').send({ refreshToken });
  const setBlocked = (userId: string, blocked: boolean) =>
    s.t.dataSource
      .getRepository(User)
      .update(
        { id: userId },
        blocked
          ? { blockedAt: new Date(), blockedReason: 'spam reports' }
          : { blockedAt: null, blockedReason: null },
      );

  /** A registered user whose openid is bound, so silent login works too. */
  async function boundUser(): Promise<{ phone: string; openid: string; session: LoginBody }> {
    const phone = nextPhone();
    const openid = `o-standing-${phone}`;
    const first = await s.flow.phoneLogin(s.wechat.phoneCode(phone)).expect(404);
    const registered = await s.flow
      .register({
        registrationTicket: (first.body as { registrationTicket: string }).registrationTicket,
        loginCode: s.wechat.loginCode(openid),
      })
      .expect(201);
    return { phone, openid, session: registered.body as LoginBody };
  }

  it('refuses a blocked user on every path, and lets them back in once unblocked', async () => {
    const { phone, openid, session } = await boundUser();
    await me(session.accessToken).expect(200);
    await setBlocked(session.user.id, true);

    // The access token: refused once this instance's answer is older than the TTL.
    s.t.clock.advance(STANDING_TTL_MS);
    const bearer = await me(session.accessToken).expect(403);
    expect(bearer.body).toMatchObject({ code: 'USER_BLOCKED', statusCode: 403 });

    const phoneLogin = await s.flow.phoneLogin(s.wechat.phoneCode(phone)).expect(403);
    expect(phoneLogin.body).toMatchObject({ code: 'USER_BLOCKED' });
    const silent = await request(s.t.url)
      .post('/auth/wechat/session')
      .send({ loginCode: s.wechat.loginCode(openid) })
      .expect(403);
    expect(silent.body).toMatchObject({ code: 'USER_BLOCKED' });
    const legacy = await request(s.t.url)
      .get('/getPhoneNumber/')
      .query({ code: s.wechat.phoneCode(phone) })
      .expect(403);
    expect(legacy.body).toMatchObject({ data: { code: 403, errorCode: 'USER_BLOCKED' } });
    const refused = await refresh(session.refreshToken).expect(403);
    expect(refused.body).toMatchObject({ code: 'USER_BLOCKED' });

    // Nothing was spent while blocked: the same refresh token works after unblocking.
    await setBlocked(session.user.id, false);
    s.t.clock.advance(STANDING_TTL_MS);
    await me(session.accessToken).expect(200);
    const pair = (await refresh(session.refreshToken).expect(200)).body as LoginBody;
    await me(pair.accessToken).expect(200);
    await s.flow.phoneLogin(s.wechat.phoneCode(phone)).expect(200);
  });

  it('keeps answering from its cache for less than the TTL (one read per user per TTL)', async () => {
    const { session } = await boundUser();
    await me(session.accessToken).expect(200);
    await setBlocked(session.user.id, true);
    await me(session.accessToken).expect(200);
    s.t.clock.advance(STANDING_TTL_MS);
    await me(session.accessToken).expect(403);
  });

  it("refuses a deleted user's access token with 401", async () => {
    const { session } = await boundUser();
    await me(session.accessToken).expect(200);
    await s.t.dataSource.query('DELETE FROM wechat_accounts WHERE user_id = ?', [session.user.id]);
    await s.t.dataSource.query('DELETE FROM refresh_tokens WHERE user_id = ?', [session.user.id]);
    await s.t.dataSource.getRepository(User).delete({ id: session.user.id });
    s.t.clock.advance(STANDING_TTL_MS);
    const res = await me(session.accessToken).expect(401);
    expect(res.body).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
