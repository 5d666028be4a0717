import request from 'supertest';
import { IsNull, Not } from 'typeorm';
import { RefreshToken } from '../src/auth/tokens/refresh-token.entity';
import { REFRESH_REUSE_GRACE_MS } from '../src/auth/tokens/refresh-token.service';
import { User } from '../src/users/user.entity';
import { WechatAccount } from '../src/users/wechat-account.entity';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginBody, LoginFlow, NotRegisteredBody } from './helpers/login-flow';
import { useAppWithFakeWechat } from './helpers/suite';
import { TestApp } from './helpers/test-app';

const DAY = 86_400_000;

interface PairBody {
  accessToken: string;
  refreshToken: string;
}

describe('session lifecycle: refresh rotation, logout, silent login, profile (e2e)', () => {
  const s = useAppWithFakeWechat();
  let wechat: FakeWechat;
  let t: TestApp;
  let flow: LoginFlow;
  let phoneSeq = 0;
  const nextPhone = () => `1350000${String(++phoneSeq).padStart(4, '0')}`;

  beforeAll(() => {
    ({ wechat, t, flow } = s);
  });

  const refresh = (refreshToken: string) =>
    request(t.url).post('/auth/refresh').send({ refreshToken });
  const me = (accessToken: string) =>
    request(t.url).get('/users/me').set('Authorization', `Bearer ${accessToken}`);

  describe('refresh', () => {
    it('stores refresh tokens only as hashes', async () => {
      const session = await flow.registerNewUser(nextPhone());
      expect(session.refreshToken).toMatch(/^rt_[\w-]{43}$/);
      const rows = await t.dataSource.getRepository(RefreshToken).find();
      expect(JSON.stringify(rows)).not.toContain(session.refreshToken);
      expect(JSON.stringify(rows)).not.toContain(session.refreshToken.slice(3));
    });

    it('rotates: a new pair that works, and the old token is spent', async () => {
      const session = await flow.registerNewUser(nextPhone());
      const res = await refresh(session.refreshToken).expect(200);
      const pair = res.body as PairBody;
      expect(pair.refreshToken).not.toBe(session.refreshToken);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      await me(pair.accessToken).expect(200);
      await refresh(pair.refreshToken).expect(200);
    });

    it('revokes the whole family when a spent token comes back after the grace window', async () => {
      const session = await flow.registerNewUser(nextPhone());
      const child = (await refresh(session.refreshToken).expect(200)).body as PairBody;
      t.clock.advance(REFRESH_REUSE_GRACE_MS + 1000);
      const reused = await refresh(session.refreshToken).expect(401);
      expect(reused.body).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      // The thief's (or the victim's) newer token dies with the family.
      const after = await refresh(child.refreshToken).expect(401);
      expect(after.body).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    });

    it('gives concurrent refreshes of one token the same new refresh token', async () => {
      const session = await flow.registerNewUser(nextPhone());
      const results = await Promise.all(
        Array.from({ length: 5 }, () => refresh(session.refreshToken)),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const tokens = new Set(results.map((r) => (r.body as PairBody).refreshToken));
      expect(tokens.size).toBe(1);
      await refresh([...tokens][0]).expect(200);
    });

    it('logs a replay inside the grace window (family, user, delay), never the token', async () => {
      const session = await flow.registerNewUser(nextPhone());
      const first = (await refresh(session.refreshToken).expect(200)).body as PairBody;
      t.clock.advance(REFRESH_REUSE_GRACE_MS / 2);
      const before = t.logs.lines.length;

      const replay = await refresh(session.refreshToken).expect(200);

      expect((replay.body as PairBody).refreshToken).toBe(first.refreshToken);
      const { familyId } = await t.dataSource
        .getRepository(RefreshToken)
        .findOneByOrFail({ userId: session.user.id, usedAt: Not(IsNull()) });
      const logged = t.logs.lines.slice(before).filter((line) => line.includes('replayed'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain(familyId);
      expect(logged[0]).toContain(session.user.id);
      expect(logged[0]).toMatch(/replayed \d+ ms after its first use/);
      expect(logged[0]).toContain('"level":40');
      for (const token of [session.refreshToken, first.refreshToken]) {
        expect(t.logs.text).not.toContain(token.slice(3));
      }
    });

    it('refuses the refresh of a user that no longer exists, and ends the family', async () => {
      const session = await flow.registerNewUser(nextPhone());
      const child = (await refresh(session.refreshToken).expect(200)).body as PairBody;
      await t.dataSource.getRepository(User).delete({ id: session.user.id });

      const res = await refresh(child.refreshToken).expect(401);

      expect(res.body).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
      const live = await t.dataSource
        .getRepository(RefreshToken)
        .countBy({ userId: session.user.id, revokedAt: IsNull() });
      expect(live).toBe(0);
    });

    it('ends a login at SESSION_MAX_AGE (180 days) however often it refreshes', async () => {
      const session = await flow.registerNewUser(nextPhone());
      const loginAt = t.clock.now();
      let token = session.refreshToken;
      // Every 29 days, within the 30-day idle lifetime: day 174 is the last rotation.
      for (let day = 29; day < 180; day += 29) {
        t.clock.advance(29 * DAY);
        token = ((await refresh(token).expect(200)).body as PairBody).refreshToken;
      }
      const rows = await t.dataSource
        .getRepository(RefreshToken)
        .findBy({ userId: session.user.id });
      for (const row of rows) {
        expect(row.expiresAt.getTime()).toBeLessThanOrEqual(loginAt + 180 * DAY);
      }

      t.clock.advance(7 * DAY);
      const res = await refresh(token).expect(401);
      expect(res.body).toMatchObject({ code: 'REFRESH_TOKEN_EXPIRED' });
    });

    it('refuses an expired refresh token with REFRESH_TOKEN_EXPIRED', async () => {
      const session = await flow.registerNewUser(nextPhone());
      t.clock.advance(30 * 86_400_000 + 1000);
      const res = await refresh(session.refreshToken).expect(401);
      expect(res.body).toMatchObject({ code: 'REFRESH_TOKEN_EXPIRED' });
    });

    it('refuses an access token, garbage and an unknown token as refresh tokens', async () => {
      const session = await flow.registerNewUser(nextPhone());
      for (const token of [session.accessToken, 'garbage', `rt_${'A'.repeat(43)}`]) {
        const res = await refresh(token).expect(401);
        expect(res.body).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
      }
      await request(t.url).post('/auth/refresh').send({}).expect(400);
    });
  });

  describe('logout', () => {
    it('revokes this session only; another login of the user keeps working', async () => {
      const phone = nextPhone();
      const first = await flow.registerNewUser(phone);
      const second = (await flow.phoneLogin(wechat.phoneCode(phone)).expect(200)).body as LoginBody;
      await request(t.url)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${first.accessToken}`)
        .expect(204);
      const res = await refresh(first.refreshToken).expect(401);
      expect(res.body).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
      await refresh(second.refreshToken).expect(200);
    });

    it('revokes every session with allDevices', async () => {
      const phone = nextPhone();
      const first = await flow.registerNewUser(phone);
      const second = (await flow.phoneLogin(wechat.phoneCode(phone)).expect(200)).body as LoginBody;
      await request(t.url)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${second.accessToken}`)
        .send({ allDevices: true })
        .expect(204);
      await refresh(first.refreshToken).expect(401);
      await refresh(second.refreshToken).expect(401);
    });

    it('needs an access token', async () => {
      const session = await flow.registerNewUser(nextPhone());
      await request(t.url).post('/auth/logout').expect(401);
      await request(t.url)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.refreshToken}`)
        .expect(401);
    });
  });

  describe('silent login with wx.login', () => {
    it('binds the WeChat account at phone-login, then logs in by openid alone', async () => {
      const phone = nextPhone();
      const session = await flow.registerNewUser(phone);
      await request(t.url)
        .post('/auth/wechat/phone-login')
        .send({ code: wechat.phoneCode(phone), loginCode: wechat.loginCode('o_alice', 'u_alice') })
        .expect(200);

      wechat.resetCalls();
      const res = await request(t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: wechat.loginCode('o_alice') })
        .expect(200);
      expect((res.body as LoginBody).user.id).toBe(session.user.id);
      // No paid phone-number call for a returning user.
      expect(wechat.phoneCalls).toHaveLength(0);
      const row = await t.dataSource.getRepository(User).findOneByOrFail({ id: session.user.id });
      expect(row.unionid).toBe('u_alice');
      const bindings = await t.dataSource
        .getRepository(WechatAccount)
        .findBy({ userId: session.user.id });
      expect(bindings).toMatchObject([{ appId: wechat.appId, openid: 'o_alice' }]);
    });

    it('answers 404 WECHAT_ACCOUNT_NOT_BOUND for an unknown WeChat account', async () => {
      const res = await request(t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: wechat.loginCode('o_stranger') })
        .expect(404);
      expect(res.body).toMatchObject({ code: 'WECHAT_ACCOUNT_NOT_BOUND' });
    });

    it('carries the WeChat account of a 404 phone-login through the ticket into register', async () => {
      const first = await request(t.url)
        .post('/auth/wechat/phone-login')
        .send({ code: wechat.phoneCode(nextPhone()), loginCode: wechat.loginCode('o_bob') })
        .expect(404);
      await flow
        .register({ registrationTicket: (first.body as NotRegisteredBody).registrationTicket })
        .expect(201);
      await request(t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: wechat.loginCode('o_bob') })
        .expect(200);
    });

    it('binds at register with a loginCode', async () => {
      const first = await flow.phoneLogin(wechat.phoneCode(nextPhone())).expect(404);
      await flow
        .register({
          registrationTicket: (first.body as NotRegisteredBody).registrationTicket,
          loginCode: wechat.loginCode('o_carol'),
        })
        .expect(201);
      await request(t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: wechat.loginCode('o_carol') })
        .expect(200);
    });

    it('never moves one WeChat account to a second user: the login succeeds, the binding is skipped', async () => {
      const owner = nextPhone();
      const first = await flow.registerNewUser(owner);
      await request(t.url)
        .post('/auth/wechat/phone-login')
        .send({ code: wechat.phoneCode(owner), loginCode: wechat.loginCode('o_dave') })
        .expect(200);
      const other = await flow.registerNewUser(nextPhone());
      const res = await request(t.url)
        .post('/auth/wechat/phone-login')
        .send({
          code: wechat.phoneCode(other.user.phoneNumber.slice(3)),
          loginCode: wechat.loginCode('o_dave'),
        })
        .expect(200);
      expect(res.body).toMatchObject({ user: { id: other.user.id }, wechatAccountBound: false });
      expect(
        await t.dataSource.getRepository(WechatAccount).countBy({ userId: other.user.id }),
      ).toBe(0);
      const silent = await request(t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: wechat.loginCode('o_dave') })
        .expect(200);
      expect((silent.body as LoginBody).user.id).toBe(first.user.id);
    });

    it('never returns or logs the session_key', async () => {
      wechat.resetCalls();
      const res = await request(t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: wechat.loginCode('o_alice') })
        .expect(200);
      const sessionKey = wechat.calls.find((c) => c.path === '/sns/jscode2session')?.answer
        ?.session_key as string;
      expect(sessionKey).toEqual(expect.any(String));
      expect(JSON.stringify(res.body)).not.toContain(sessionKey);
      expect(t.logs.text).not.toContain(sessionKey);
      const rows = JSON.stringify(await t.dataSource.getRepository(User).find());
      expect(rows).not.toContain(sessionKey);
    });

    it('refuses a reused wx.login code with 401 WECHAT_CODE_INVALID', async () => {
      const code = wechat.loginCode('o_alice');
      await request(t.url).post('/auth/wechat/session').send({ loginCode: code }).expect(200);
      const res = await request(t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: code })
        .expect(401);
      expect(res.body).toMatchObject({ code: 'WECHAT_CODE_INVALID' });
    });
  });

  describe('profile and double taps', () => {
    it('updates nickname and avatar, and validates them', async () => {
      const session = await flow.registerNewUser(nextPhone());
      const auth = `Bearer ${session.accessToken}`;
      const res = await request(t.url)
        .patch('/users/me')
        .set('Authorization', auth)
        .send({ nickname: '新名字🎉', avatarUrl: 'https://thirdwx.qlogo.cn/mmopen/new/132' })
        .expect(200);
      expect(res.body).toMatchObject({
        nickname: '新名字🎉',
        avatarUrl: 'https://thirdwx.qlogo.cn/mmopen/new/132',
      });
      await me(session.accessToken)
        .expect(200)
        .expect((r) => expect(r.body).toMatchObject({ nickname: '新名字🎉' }));
      for (const body of [
        { nickname: '' },
        { nickname: 'x'.repeat(33) },
        { avatarUrl: 'http://insecure.example/a.png' },
        { avatarUrl: `https://thirdwx.qlogo.cn/${'a'.repeat(500)}` },
        { avatarUrl: 'https://example.com/new.png' },
        { phoneNumber: '+8613000000000' },
      ]) {
        const bad = await request(t.url)
          .patch('/users/me')
          .set('Authorization', auth)
          .send(body)
          .expect(400);
        expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      await request(t.url).patch('/users/me').send({ nickname: 'x' }).expect(401);
    });

    it('lets a double tap log the same user in twice, concurrently', async () => {
      const phone = nextPhone();
      await flow.registerNewUser(phone);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => flow.phoneLogin(wechat.phoneCode(phone))),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    });
  });
});
