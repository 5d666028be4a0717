import { createHash } from 'node:crypto';
import request from 'supertest';
import { AccountDeletionRecord } from '../src/account/account-deletion.entity';
import { RefreshToken } from '../src/auth/tokens/refresh-token.entity';
import { AccountErasers } from '../src/users/account-erasers';
import { User } from '../src/users/user.entity';
import { WechatAccount } from '../src/users/wechat-account.entity';
import { LoginBody, NotRegisteredBody } from './helpers/login-flow';
import { Suite, useAppWithFakeWechat } from './helpers/suite';
import { E2E_JWT_SECRET } from './helpers/test-app';

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.43(0x18002b2c) NetType/WIFI Language/zh_CN';
const ANDROID_UA =
  'Mozilla/5.0 (Linux; Android 13; PGT-AN10 Build/HONORPGT-AN10; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/5235 MicroMessenger/8.0.42.2460(0x28002A58) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 MiniProgramEnv/android';

interface SessionBody {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
  device: string | null;
}

/**
 * What a registered user can do with their own account: change the phone
 * number, see and sign out their devices, take their data, and delete it all.
 */
describe('account lifecycle (e2e)', () => {
  const s: Suite = useAppWithFakeWechat();
  let phoneSeq = 0;
  const nextPhone = () => `1370000${String(++phoneSeq).padStart(4, '0')}`;

  const bearer = (method: 'get' | 'put' | 'delete', path: string, accessToken: string) =>
    request(s.t.url)[method](path).set('Authorization', `Bearer ${accessToken}`);
  const me = (accessToken: string) => bearer('get', '/users/me', accessToken);
  const changePhone = (accessToken: string, code: string) =>
    bearer('put', '/users/me/phone', accessToken).send({ code });
  const sessions = async (accessToken: string) =>
    (await bearer('get', '/users/me/sessions', accessToken).expect(200)).body as SessionBody[];
  const refresh = (refreshToken: string) =>
    request(s.t.url).post('/auth/refresh').send({ refreshToken });
  const phoneLoginAs = (phone: string, userAgent?: string) => {
    const req = s.flow.phoneLogin(s.wechat.phoneCode(phone));
    return userAgent ? req.set('User-Agent', userAgent) : req;
  };

  /** A new user whose WeChat account (openid, unionid) is bound. */
  async function boundUser(userAgent = IPHONE_UA) {
    const phone = nextPhone();
    const openid = `o-life-${phone}`;
    const unionid = `u-life-${phone}`;
    const first = await phoneLoginAs(phone).expect(404);
    const registered = await s.flow
      .register({
        registrationTicket: (first.body as NotRegisteredBody).registrationTicket,
        nickname: '小明',
        loginCode: s.wechat.loginCode(openid, unionid),
      })
      .set('User-Agent', userAgent)
      .expect(201);
    return { phone, openid, unionid, session: registered.body as LoginBody };
  }

  describe('PUT /users/me/phone', () => {
    it('moves the account to the new number; the old number then registers as a new user', async () => {
      const { phone: oldPhone, session } = await boundUser();
      const newPhone = nextPhone();
      const res = await changePhone(session.accessToken, s.wechat.phoneCode(newPhone)).expect(200);
      expect(res.body).toMatchObject({ id: session.user.id, phoneNumber: `+86${newPhone}` });
      expect((await me(session.accessToken).expect(200)).body).toMatchObject({
        phoneNumber: `+86${newPhone}`,
        purePhoneNumber: newPhone,
      });
      const login = await phoneLoginAs(newPhone).expect(200);
      expect((login.body as LoginBody).user.id).toBe(session.user.id);
      const stranger = await s.flow.registerNewUser(oldPhone);
      expect(stranger.user.id).not.toBe(session.user.id);
      expect(s.t.logs.text).not.toContain(newPhone);
    });

    it("refuses another user's number with 409 and keeps the old one", async () => {
      const { phone, session } = await boundUser();
      const other = await boundUser();
      const res = await changePhone(session.accessToken, s.wechat.phoneCode(other.phone)).expect(
        409,
      );
      expect(res.body).toMatchObject({ code: 'PHONE_ALREADY_REGISTERED' });
      expect((await me(session.accessToken).expect(200)).body).toMatchObject({
        phoneNumber: `+86${phone}`,
      });
    });

    it('gives a number claimed by two users at once to exactly one of them', async () => {
      for (let round = 0; round < 5; round++) {
        const [a, b] = [await boundUser(), await boundUser()];
        const contested = nextPhone();
        const answers = await Promise.all(
          [a, b].map((u) => changePhone(u.session.accessToken, s.wechat.phoneCode(contested))),
        );
        expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
        const holders = await s.t.dataSource
          .getRepository(User)
          .findBy({ phoneNumber: `+86${contested}` });
        expect(holders).toHaveLength(1);
      }
    });

    it('answers a bad code as login does, and needs a Bearer token', async () => {
      const { session } = await boundUser();
      const bad = await changePhone(session.accessToken, 'not-a-real-code').expect(401);
      expect(bad.body).toMatchObject({ code: 'WECHAT_CODE_INVALID' });
      const anonymous = await request(s.t.url)
        .put('/users/me/phone')
        .send({ code: s.wechat.phoneCode(nextPhone()) })
        .expect(401);
      expect(anonymous.body).toMatchObject({ code: 'UNAUTHORIZED' });
      await changePhone(session.accessToken, '').expect(400);
    });
  });

  describe('device sessions', () => {
    it('lists one entry per live login with its device, and signs one device out', async () => {
      const { phone, session: iphone } = await boundUser(IPHONE_UA);
      const android = (await phoneLoginAs(phone, ANDROID_UA).expect(200)).body as LoginBody;
      const bare = (await phoneLoginAs(phone).expect(200)).body as LoginBody;
      // A refresh stays in its login's entry.
      s.t.clock.advance(5_000);
      const rotated = (await refresh(android.refreshToken).expect(200)).body as LoginBody;

      const listed = await sessions(iphone.accessToken);
      expect(listed).toHaveLength(3);
      expect(listed.map((x) => x.device).sort()).toEqual(
        ['WeChat Android (PGT-AN10)', 'WeChat iOS (iPhone)', null].sort(),
      );
      expect(listed.filter((x) => x.current).map((x) => x.device)).toEqual(['WeChat iOS (iPhone)']);
      const androidEntry = listed.find((x) => x.device === 'WeChat Android (PGT-AN10)')!;
      expect(listed[0]).toBe(androidEntry); // newest use first
      expect(Date.parse(androidEntry.lastUsedAt)).toBeGreaterThan(
        Date.parse(androidEntry.createdAt),
      );
      expect(Date.parse(androidEntry.expiresAt)).toBeGreaterThan(
        Date.parse(androidEntry.lastUsedAt),
      );

      await bearer('delete', `/users/me/sessions/${androidEntry.id}`, iphone.accessToken).expect(
        204,
      );
      const refused = await refresh(rotated.refreshToken).expect(401);
      expect(refused.body).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
      expect((await sessions(bare.accessToken)).map((x) => x.device).sort()).toEqual(
        ['WeChat iOS (iPhone)', null].sort(),
      );
      await refresh(iphone.refreshToken).expect(200);
    });

    it("answers 404 SESSION_NOT_FOUND for an unknown id or another user's session", async () => {
      const { session: mine } = await boundUser();
      const { session: theirs } = await boundUser();
      const [theirSession] = await sessions(theirs.accessToken);
      for (const id of [theirSession.id, '00000000-0000-4000-8000-000000000000', 'x'.repeat(300)]) {
        const res = await bearer('delete', `/users/me/sessions/${id}`, mine.accessToken).expect(
          404,
        );
        expect(res.body).toMatchObject({ code: 'SESSION_NOT_FOUND', statusCode: 404 });
      }
      await refresh(theirs.refreshToken).expect(200);
      // An ended session is no longer listed, nor signed out twice.
      const [own] = await sessions(mine.accessToken);
      await bearer('delete', `/users/me/sessions/${own.id}`, mine.accessToken).expect(204);
      await bearer('delete', `/users/me/sessions/${own.id}`, mine.accessToken).expect(404);
      expect(await sessions(mine.accessToken)).toEqual([]);
    });
  });

  describe('GET /users/me/export', () => {
    it('holds profile, phone, WeChat bindings and sessions, and never a token, hash or secret', async () => {
      const { phone, openid, unionid, session } = await boundUser();
      const second = (await phoneLoginAs(phone, ANDROID_UA).expect(200)).body as LoginBody;
      await refresh(second.refreshToken).expect(200);
      const res = await bearer('get', '/users/me/export', session.accessToken).expect(200);
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.body).toMatchObject({
        user: {
          id: session.user.id,
          phoneNumber: `+86${phone}`,
          nickname: '小明',
          unionid,
        },
        wechatAccounts: [{ appId: s.wechat.appId, openid, unionid }],
      });
      const exported = res.body as { sessions: (SessionBody & { live: boolean })[] };
      expect(exported.sessions).toHaveLength(2);
      expect(exported.sessions.every((x) => x.live)).toBe(true);

      const text = JSON.stringify(res.body);
      const hashes = (
        await s.t.dataSource.getRepository(RefreshToken).findBy({ userId: session.user.id })
      ).map((row) => row.tokenHash);
      const sha = (token: string) => createHash('sha256').update(token).digest('hex');
      for (const secret of [
        session.accessToken,
        session.refreshToken,
        second.refreshToken,
        sha(session.refreshToken),
        ...hashes,
        E2E_JWT_SECRET,
        s.wechat.secret,
      ]) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toMatch(/token_?hash|session_?key|"secret"/i);
    });
  });

  describe('DELETE /users/me', () => {
    it('erases the account: tokens refused, phone free, old openid unbound, only a record kept', async () => {
      const { phone, openid, unionid, session } = await boundUser();
      const other = (await phoneLoginAs(phone, ANDROID_UA).expect(200)).body as LoginBody;
      const userId = session.user.id;
      const erased: { userId: string; rowStillThere: boolean }[] = [];
      s.t.app.get(AccountErasers).register({
        erasedData: 'test data',
        eraseUser: async (id, manager) => {
          erased.push({ userId: id, rowStillThere: await manager.existsBy(User, { id }) });
        },
      });

      await bearer('delete', '/users/me', session.accessToken).expect(204);

      // This instance forgets the user at once; other instances within AccountStanding's TTL.
      for (const token of [session.accessToken, other.accessToken]) {
        expect((await me(token).expect(401)).body).toMatchObject({ code: 'UNAUTHORIZED' });
      }
      for (const token of [session.refreshToken, other.refreshToken]) {
        expect((await refresh(token).expect(401)).body).toMatchObject({
          code: 'REFRESH_TOKEN_INVALID',
        });
      }
      const silent = await request(s.t.url)
        .post('/auth/wechat/session')
        .send({ loginCode: s.wechat.loginCode(openid, unionid) })
        .expect(404);
      expect(silent.body).toMatchObject({ code: 'WECHAT_ACCOUNT_NOT_BOUND' });
      expect(erased).toEqual([{ userId, rowStillThere: true }]);

      const db = s.t.dataSource;
      expect(await db.getRepository(User).existsBy({ id: userId })).toBe(false);
      expect(await db.getRepository(WechatAccount).existsBy({ userId })).toBe(false);
      expect(await db.getRepository(RefreshToken).existsBy({ userId })).toBe(false);
      expect(await db.getRepository(AccountDeletionRecord).findOneBy({ userId })).toMatchObject({
        userId,
        requestedBy: 'self',
        reason: null,
      });
      expect(s.t.logs.text).toContain(`Account ${userId} deleted (requested by self)`);

      // The phone registers again, as a new user with nothing of the old one.
      const reborn = await s.flow.registerNewUser(phone, '新用户');
      expect(reborn.user.id).not.toBe(userId);
      const exported = await bearer('get', '/users/me/export', reborn.accessToken).expect(200);
      expect(exported.body).toMatchObject({ wechatAccounts: [], user: { unionid: null } });
      expect(JSON.stringify(exported.body)).not.toContain(openid);
    });

    it('answers 401 to a second deletion with the same token', async () => {
      const { session } = await boundUser();
      await bearer('delete', '/users/me', session.accessToken).expect(204);
      await bearer('delete', '/users/me', session.accessToken).expect(401);
    });
  });
});
