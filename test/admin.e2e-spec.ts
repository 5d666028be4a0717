import request from 'supertest';
import { STANDING_TTL_MS } from '../src/users/account-standing';
import { ADMIN_TOKEN, adminClient } from './helpers/admin-client';
import { LoginBody, NotRegisteredBody } from './helpers/login-flow';
import { Suite, useAppWithFakeWechat } from './helpers/suite';

interface AdminUser {
  id: string;
  phoneNumber: string;
  blocked: boolean;
  blockedReason: string | null;
  wechatAccounts: { appId: string; openid: string; unionid: string | null }[];
  liveSessions: number;
  audit: { at: string; action: string; reason: string | null; requestId: string }[];
}

/**
 * The operator's API: only the admin token opens it (never a user's access
 * token), and what it does is what users notice: a blocked user is refused
 * everywhere at once, revoked sessions stop refreshing, a deleted user is gone.
 * Every action is in the audit trail the look-up shows, and in one log line.
 */
describe('admin API (e2e)', () => {
  const s: Suite = useAppWithFakeWechat({ ADMIN_TOKEN });
  let seq = 0;
  const nextPhone = () => `1370000${String(++seq).padStart(4, '0')}`;

  const admin = () => adminClient(s.t.url);
  const lookUp = async (query: string): Promise<AdminUser[]> =>
    (await admin().get(`/admin/users?${query}`).expect(200)).body as AdminUser[];
  const me = (token: string) =>
    request(s.t.url).get('/users/me').set('Authorization', `Bearer ${token}`);

  /** A registered user with a bound openid and unionid. */
  async function newUser(): Promise<{
    phone: string;
    openid: string;
    unionid: string;
    session: LoginBody;
  }> {
    const phone = nextPhone();
    const openid = `o-admin-${phone}`;
    const unionid = `u-admin-${phone}`;
    const first = await s.flow.phoneLogin(s.wechat.phoneCode(phone)).expect(404);
    const registered = await s.flow
      .register({
        registrationTicket: (first.body as NotRegisteredBody).registrationTicket,
        loginCode: s.wechat.loginCode(openid, unionid),
      })
      .expect(201);
    return { phone, openid, unionid, session: registered.body as LoginBody };
  }

  describe('the admin token', () => {
    it.each([
      ['no Authorization header', undefined],
      ['a wrong token', 'Bearer e2e-admin-token-7c1f9a3be2d54f60a8b7c6d5e4f3a2b2'],
      ['the token without Bearer', ADMIN_TOKEN],
      ['a prefix of the token', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
    ])('refuses %s with 401 ADMIN_TOKEN_INVALID', async (_what, header) => {
      const req = request(s.t.url).get('/admin/users?phone=13800138000');
      const res = await (header ? req.set('Authorization', header) : req).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'ADMIN_TOKEN_INVALID' });
      expect(res.body).toMatchObject({ requestId: expect.any(String) });
    });

    it("is not a user's access token, and a user's access token does not open it", async () => {
      const { session } = await newUser();
      const res = await request(s.t.url)
        .get(`/admin/users?id=${session.user.id}`)
        .set('Authorization', `Bearer ${session.accessToken}`)
        .expect(401);
      expect(res.body).toMatchObject({ code: 'ADMIN_TOKEN_INVALID' });
      const asUser = await me(ADMIN_TOKEN).expect(401);
      expect(asUser.body).toMatchObject({ code: 'UNAUTHORIZED' });
    });

    it('opens the page without a token (the page asks for it)', async () => {
      const page = await request(s.t.url).get('/admin').expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<script src="/admin/operator.js"');
      expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
      const script = await request(s.t.url).get('/admin/operator.js').expect(200);
      expect(script.headers['content-type']).toMatch(/^text\/javascript/);
      await request(s.t.url).get('/admin/operator.css').expect(200);
    });
  });

  describe('look-up', () => {
    it('finds a user by phone (national or E.164), openid, unionid and id, with bindings and sessions', async () => {
      const { phone, openid, unionid, session } = await newUser();
      const expected = {
        id: session.user.id,
        phoneNumber: `+86${phone}`,
        blocked: false,
        blockedReason: null,
        wechatAccounts: [{ appId: s.wechat.appId, openid, unionid }],
        liveSessions: 1,
        audit: [],
      };
      for (const query of [
        `phone=${phone}`,
        `phone=${encodeURIComponent(`+86${phone}`)}`,
        // As typed into curl: the + unencoded.
        `phone=+86${phone}`,
        `openid=${openid}`,
        `unionid=${unionid}`,
        `id=${session.user.id}`,
      ]) {
        expect(await lookUp(query)).toEqual([expect.objectContaining(expected)]);
      }
      await s.flow.phoneLogin(s.wechat.phoneCode(phone)).expect(200);
      expect((await lookUp(`id=${session.user.id}`))[0].liveSessions).toBe(2);
    });

    it('answers an empty list for nobody, 400 for no key or two keys', async () => {
      expect(await lookUp('phone=19900000000')).toEqual([]);
      expect(await lookUp('openid=o-nobody')).toEqual([]);
      for (const query of ['', 'phone=1&openid=o', 'phone=not-a-phone', 'color=red']) {
        const res = await admin().get(`/admin/users?${query}`).expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });
  });

  describe('block and unblock', () => {
    it('refuses the user everywhere at once, and lets them back in once unblocked', async () => {
      const { phone, openid, session } = await newUser();
      await me(session.accessToken).expect(200);

      await admin()
        .post(`/admin/users/${session.user.id}/block`, { reason: 'spam reports #12' })
        .set('X-Request-Id', 'req-block-1')
        .expect(204);

      // This instance forgets what it knew: refused without waiting for the cache.
      expect((await me(session.accessToken).expect(403)).body).toMatchObject({
        code: 'USER_BLOCKED',
      });
      expect((await s.flow.phoneLogin(s.wechat.phoneCode(phone)).expect(403)).body).toMatchObject({
        code: 'USER_BLOCKED',
      });
      await request(s.t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: s.wechat.loginCode(openid) })
        .expect(403);
      await request(s.t.url)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(403);
      const [blocked] = await lookUp(`id=${session.user.id}`);
      expect(blocked).toMatchObject({ blocked: true, blockedReason: 'spam reports #12' });
      expect(blocked.audit).toEqual([
        {
          at: expect.any(String),
          action: 'block',
          reason: 'spam reports #12',
          requestId: 'req-block-1',
        },
      ]);

      await admin()
        .post(`/admin/users/${session.user.id}/unblock`, { reason: 'appeal' })
        .expect(204);
      await me(session.accessToken).expect(200);
      await s.flow.phoneLogin(s.wechat.phoneCode(phone)).expect(200);
      const [unblocked] = await lookUp(`id=${session.user.id}`);
      expect(unblocked.blocked).toBe(false);
      expect(unblocked.audit.map((a) => a.action)).toEqual(['unblock', 'block']);
    });

    it('writes one structured audit log line per action, with the request id', async () => {
      const { session } = await newUser();
      await admin()
        .post(`/admin/users/${session.user.id}/block`, { reason: 'fraud, called from 13812345678' })
        .set('X-Request-Id', 'req-audit-line')
        .expect(204);
      const lines = s.t.logs.lines
        .filter((line) => line.includes('"audit":true') && line.includes('req-audit-line'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({
          action: 'block',
          targetUserId: session.user.id,
          reason: 'fraud, called from 138****5678',
          requestId: 'req-audit-line',
        }),
      ]);
    });

    it('needs a reason to block, and a user that exists', async () => {
      const { session } = await newUser();
      for (const body of [
        {},
        { reason: '   ' },
        { reason: 'x'.repeat(201) },
        { reason: 'ok', extra: 1 },
      ]) {
        const res = await admin().post(`/admin/users/${session.user.id}/block`, body).expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      for (const action of ['block', 'unblock', 'revoke-sessions']) {
        const res = await admin()
          .post(`/admin/users/00000000-0000-4000-8000-000000000000/${action}`, { reason: 'r' })
          .expect(404);
        expect(res.body).toMatchObject({ code: 'USER_NOT_FOUND' });
      }
      await admin().delete('/admin/users/00000000-0000-4000-8000-000000000000').expect(404);
    });

    it('is seen by another instance within 5 s', async () => {
      const { startApp } = await import('./helpers/test-app');
      const other = await startApp({ databaseUrl: s.db.url, wechat: s.wechat });
      try {
        const { session } = await newUser();
        const meThere = () =>
          request(other.url).get('/users/me').set('Authorization', `Bearer ${session.accessToken}`);
        await meThere().expect(200);
        await admin().post(`/admin/users/${session.user.id}/block`, { reason: 'r' }).expect(204);
        other.clock.advance(STANDING_TTL_MS);
        expect(STANDING_TTL_MS).toBeLessThanOrEqual(5000);
        await meThere().expect(403);
      } finally {
        await other.close();
      }
    });
  });

  describe('sessions and deletion', () => {
    it('revokes every session: refresh tokens stop working', async () => {
      const { phone, session } = await newUser();
      await s.flow.phoneLogin(s.wechat.phoneCode(phone)).expect(200);
      await admin().post(`/admin/users/${session.user.id}/revoke-sessions`).expect(204);
      const res = await request(s.t.url)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(401);
      expect(res.body).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
      const [user] = await lookUp(`id=${session.user.id}`);
      expect(user.liveSessions).toBe(0);
      expect(user.audit.map((a) => a.action)).toEqual(['revoke-sessions']);
    });

    it('deletes a user: tokens refused, the phone registers again, the openid no longer logs in', async () => {
      const { phone, openid, session } = await newUser();
      await admin().delete(`/admin/users/${session.user.id}`).expect(204);
      expect(await lookUp(`id=${session.user.id}`)).toEqual([]);
      await me(session.accessToken).expect(401);
      await request(s.t.url)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(401);
      const silent = await request(s.t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: s.wechat.loginCode(openid) })
        .expect(404);
      expect(silent.body).toMatchObject({ code: 'WECHAT_ACCOUNT_NOT_BOUND' });
      const again = await s.flow.registerNewUser(phone);
      expect(again.user.id).not.toBe(session.user.id);
      const rows: { action: string }[] = await s.t.dataSource.query(
        'SELECT action FROM admin_audit WHERE target_user_id = ?',
        [session.user.id],
      );
      expect(rows).toEqual([{ action: 'delete-user' }]);
    });
  });
});
