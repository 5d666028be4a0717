import request from 'supertest';
import { harnessEnvironment } from '../src/config/harness-environment';
import { User } from '../src/users/user.entity';
import { WechatAccount } from '../src/users/wechat-account.entity';
import { FakeWechat, Fault } from './helpers/fake-wechat';
import { LoginBody, NotRegisteredBody } from './helpers/login-flow';
import { CARD, SHOP, SHOP_AND_CARD_ENV, useAppWithFakeWechat } from './helpers/suite';
import { TestApp } from './helpers/test-app';

const CODE2SESSION = '/sns/jscode2session';

interface LoginWithBinding extends LoginBody {
  wechatAccountBound?: boolean;
}

/**
 * How WeChat identities (an openid per mini-program, a unionid across them)
 * are bound to users: the phone proof wins, one user per unionid, the latest
 * phone proof owns the account, identifiers compare byte for byte. Two
 * mini-programs of one Open Platform account, as in production.
 */
describe('WeChat identities bound to users (e2e)', () => {
  let wechat: FakeWechat;
  let t: TestApp;
  let phoneSeq = 0;
  const nextPhone = () => `1370000${String(++phoneSeq).padStart(4, '0')}`;

  const suite = useAppWithFakeWechat(SHOP_AND_CARD_ENV, [SHOP, CARD]);

  beforeAll(() => {
    ({ wechat, t } = suite);
  });

  const post = (path: string, app: { appId: string }, body: object) =>
    request(t.url).post(path).set('X-WX-AppId', app.appId).send(body);
  const phoneLogin = (app: { appId: string }, phone: string, loginCode?: string) =>
    post('/auth/wechat/phone-login', app, {
      code: wechat.phoneCode(phone, undefined, app.appId),
      ...(loginCode !== undefined ? { loginCode } : {}),
    });
  const silentLogin = (app: { appId: string }, openid: string, unionid?: string) =>
    post('/auth/wechat/session', app, {
      loginCode: wechat.loginCode(openid, unionid, app.appId),
    });
  const loginCode = (app: { appId: string }, openid: string, unionid?: string) =>
    wechat.loginCode(openid, unionid, app.appId);

  /** A registered user, with the given WeChat account bound in `app` when one is given. */
  async function registered(
    phone: string,
    app = SHOP,
    account?: { openid: string; unionid?: string },
  ): Promise<LoginWithBinding> {
    const first = await phoneLogin(
      app,
      phone,
      account && loginCode(app, account.openid, account.unionid),
    ).expect(404);
    const ticket = (first.body as NotRegisteredBody).registrationTicket;
    const res = await post('/auth/wechat/register', app, { registrationTicket: ticket });
    expect(res.status).toBe(201);
    return res.body as LoginWithBinding;
  }

  const bindingsOf = (userId: string) =>
    t.dataSource
      .getRepository(WechatAccount)
      .find({ where: { userId }, order: { appId: 'ASC' } })
      .then((rows) => rows.map((row) => ({ appId: row.appId, openid: row.openid })));
  const unionidOf = (userId: string) =>
    t.dataSource
      .getRepository(User)
      .findOneByOrFail({ id: userId })
      .then((user) => user.unionid);

  describe('the phone proof wins', () => {
    afterEach(() => wechat.clearFaults());

    /** Each way a loginCode can fail at WeChat, with the faults that make it fail (retries included). */
    const failures: { name: string; code: () => string | Promise<string>; faults: Fault[] }[] = [
      { name: 'unknown (40029)', code: () => 'not-a-real-login-code', faults: [] },
      {
        name: 'already used (40163)',
        code: async () => {
          const code = loginCode(SHOP, 'o_spent_code');
          await post('/auth/wechat/session', SHOP, { loginCode: code }).expect(404);
          return code;
        },
        faults: [],
      },
      {
        name: 'high-risk user (40226)',
        code: () => loginCode(SHOP, 'o_risky'),
        faults: [{ errcode: 40226 }],
      },
      {
        name: 'busy (-1) twice',
        code: () => loginCode(SHOP, 'o_busy'),
        faults: [{ errcode: -1 }, { errcode: -1 }],
      },
      {
        name: 'unreachable (HTTP 502) twice',
        code: () => loginCode(SHOP, 'o_down'),
        faults: [{ httpStatus: 502 }, { httpStatus: 502 }],
      },
      {
        name: 'a malformed answer',
        code: () => loginCode(SHOP, 'o_malformed'),
        faults: [{ body: '{"errcode":0,"session_key":"k"}' }],
      },
    ];

    it.each(failures)(
      'logs a registered user in when the loginCode fails: $name',
      async ({ code, faults }) => {
        const phone = nextPhone();
        const user = await registered(phone);
        const loginCodeValue = await code();
        for (const fault of faults) wechat.failFor(loginCodeValue, fault);
        wechat.resetCalls();
        const res = await phoneLogin(SHOP, phone, loginCodeValue).expect(200);
        const body = res.body as LoginWithBinding;
        expect(body.user.id).toBe(user.user.id);
        expect(body.wechatAccountBound).toBe(false);
        // The paid phone code was exchanged exactly once.
        expect(wechat.phoneCalls).toHaveLength(1);
        // The loginCode was tried (and retried, where WeChat's errcode allows it).
        const tries = wechat.calls.filter((c) => c.path === CODE2SESSION).length;
        expect(tries).toBeGreaterThanOrEqual(1);
        expect(tries).toBeLessThanOrEqual(Math.max(faults.length, 1));
        expect(await bindingsOf(user.user.id)).toEqual([]);
        expect(t.logs.text).toMatch(
          new RegExp(
            `WeChat account not bound to user ${user.user.id}: loginCode not resolved \\(\\w+`,
          ),
        );
      },
    );

    it.each(failures)(
      'answers the 404 with a working ticket when the loginCode fails: $name',
      async ({ code, faults }) => {
        const phone = nextPhone();
        const loginCodeValue = await code();
        for (const fault of faults) wechat.failFor(loginCodeValue, fault);
        const res = await phoneLogin(SHOP, phone, loginCodeValue).expect(404);
        const ticket = (res.body as NotRegisteredBody).registrationTicket;
        const created = await post('/auth/wechat/register', SHOP, { registrationTicket: ticket });
        expect(created.status).toBe(201);
        // Nothing was carried by the ticket, so nothing is said about a binding.
        expect(created.body).not.toHaveProperty('wechatAccountBound');
      },
    );

    it('says wechatAccountBound: true when the account was bound, and nothing without a loginCode', async () => {
      const phone = nextPhone();
      const user = await registered(phone);
      const plain = await phoneLogin(SHOP, phone).expect(200);
      expect(plain.body).not.toHaveProperty('wechatAccountBound');
      const bound = await phoneLogin(SHOP, phone, loginCode(SHOP, 'o_shop_bound_1')).expect(200);
      expect(bound.body).toMatchObject({ wechatAccountBound: true });
      expect(await bindingsOf(user.user.id)).toEqual([
        { appId: SHOP.appId, openid: 'o_shop_bound_1' },
      ]);
    });

    it("never moves another user's openid: the login succeeds, the binding is skipped and logged masked", async () => {
      const owner = await registered(nextPhone(), SHOP, {
        openid: 'o_shop_owner_0123456789',
        unionid: 'u_owner_0123456789',
      });
      const otherPhone = nextPhone();
      const other = await registered(otherPhone);
      const res = await phoneLogin(
        SHOP,
        otherPhone,
        loginCode(SHOP, 'o_shop_owner_0123456789', 'u_owner_0123456789'),
      ).expect(200);
      expect(res.body).toMatchObject({ user: { id: other.user.id }, wechatAccountBound: false });
      expect(await bindingsOf(other.user.id)).toEqual([]);
      expect(await unionidOf(other.user.id)).toBeNull();
      const silent = await silentLogin(SHOP, 'o_shop_owner_0123456789').expect(200);
      expect((silent.body as LoginBody).user.id).toBe(owner.user.id);
      expect(t.logs.text).toContain(
        `WeChat account (openid o_sh****89, unionid u_ow****89) not bound to user ${other.user.id} ` +
          `in app ${SHOP.appId}: this openid is bound to another user`,
      );
      expect(t.logs.text).not.toContain('o_shop_owner_0123456789');
      expect(t.logs.text).not.toContain('u_owner_0123456789');
    });

    it("skips the binding, not the registration, when the loginCode's account belongs to another user", async () => {
      await registered(nextPhone(), SHOP, { openid: 'o_shop_taken_reg', unionid: 'u_taken_reg' });
      // The account named at register...
      const first = await phoneLogin(SHOP, nextPhone()).expect(404);
      const viaRegister = await post('/auth/wechat/register', SHOP, {
        registrationTicket: (first.body as NotRegisteredBody).registrationTicket,
        loginCode: loginCode(SHOP, 'o_shop_taken_reg', 'u_taken_reg'),
      }).expect(201);
      expect(viaRegister.body).toMatchObject({ wechatAccountBound: false });
      expect(await bindingsOf((viaRegister.body as LoginBody).user.id)).toEqual([]);
      // ...or carried by the ticket of the 404.
      const second = await phoneLogin(
        SHOP,
        nextPhone(),
        loginCode(SHOP, 'o_shop_taken_reg', 'u_taken_reg'),
      ).expect(404);
      const viaTicket = await post('/auth/wechat/register', SHOP, {
        registrationTicket: (second.body as NotRegisteredBody).registrationTicket,
      }).expect(201);
      expect(viaTicket.body).toMatchObject({ wechatAccountBound: false });
      // A loginCode WeChat refuses at register.
      const third = await phoneLogin(SHOP, nextPhone()).expect(404);
      const refused = await post('/auth/wechat/register', SHOP, {
        registrationTicket: (third.body as NotRegisteredBody).registrationTicket,
        loginCode: 'not-a-real-login-code',
      }).expect(201);
      expect(refused.body).toMatchObject({ wechatAccountBound: false });
    });

    it('applies the same rule on the legacy /getPhoneNumber route', async () => {
      const phone = nextPhone();
      const user = await registered(phone);
      const res = await request(t.url)
        .get('/getPhoneNumber/')
        .set('X-WX-AppId', SHOP.appId)
        .query({ code: wechat.phoneCode(phone, undefined, SHOP.appId), loginCode: 'expired-code' })
        .expect(200);
      expect(res.body).toMatchObject({
        data: { code: 200, user: { id: user.user.id }, wechatAccountBound: false },
      });
      const bound = await request(t.url)
        .post('/getPhoneNumber')
        .set('X-WX-AppId', SHOP.appId)
        .send({
          code: wechat.phoneCode(phone, undefined, SHOP.appId),
          loginCode: loginCode(SHOP, 'o_shop_legacy'),
        })
        .expect(200);
      expect(bound.body).toMatchObject({ data: { code: 200, wechatAccountBound: true } });
      await silentLogin(SHOP, 'o_shop_legacy').expect(200);
    });
  });

  describe('one user per unionid', () => {
    it('skips a binding that would give a second user the same unionid', async () => {
      const owner = await registered(nextPhone(), SHOP, { openid: 'o_shop_uni', unionid: 'u_uni' });
      const otherPhone = nextPhone();
      const other = await registered(otherPhone);
      // Another app's openid, but the unionid of the owner's WeChat account.
      const res = await phoneLogin(CARD, otherPhone, loginCode(CARD, 'o_card_uni', 'u_uni')).expect(
        200,
      );
      expect(res.body).toMatchObject({ user: { id: other.user.id }, wechatAccountBound: false });
      expect(await unionidOf(other.user.id)).toBeNull();
      expect(await bindingsOf(other.user.id)).toEqual([]);
      expect(await t.dataSource.getRepository(User).countBy({ unionid: 'u_uni' })).toBe(1);
      // Silent login by that unionid finds the one user who has it.
      const silent = await silentLogin(CARD, 'o_card_uni', 'u_uni').expect(200);
      expect((silent.body as LoginBody).user.id).toBe(owner.user.id);
    });

    it('turns a race for one WeChat account into one binding and one skipped binding, never a 500', async () => {
      for (let round = 0; round < 6; round++) {
        // Even rounds race for one openid; odd rounds for one unionid from two apps,
        // where only the unique index on users.unionid can tell them apart.
        const apps = round % 2 === 0 ? [SHOP, SHOP] : [SHOP, CARD];
        const unionid = `u_race_${round}`;
        const openids = apps.map((app, i) =>
          round % 2 === 0 ? `o_race_${round}` : `o_race_${round}_${i}`,
        );
        const phones = [nextPhone(), nextPhone()];
        const users = await Promise.all(phones.map((phone) => registered(phone)));
        const results = await Promise.all(
          phones.map((phone, i) =>
            phoneLogin(apps[i], phone, loginCode(apps[i], openids[i], unionid)),
          ),
        );
        expect(results.map((r) => r.status)).toEqual([200, 200]);
        const bound = results.map((r) => (r.body as LoginWithBinding).wechatAccountBound);
        expect([...bound].sort()).toEqual([false, true]);
        const winner = bound.indexOf(true);
        expect(await t.dataSource.getRepository(User).findBy({ unionid })).toEqual([
          expect.objectContaining({ id: users[winner].user.id }),
        ]);
        expect(await bindingsOf(users[1 - winner].user.id)).toEqual([]);
        const silent = await silentLogin(apps[winner], openids[winner]).expect(200);
        expect((silent.body as LoginBody).user.id).toBe(users[winner].user.id);
      }
    });
  });

  describe('the latest phone proof owns the account', () => {
    it('removes the old WeChat account in every app when the phone is proven from another unionid', async () => {
      const phone = nextPhone();
      // The old owner: bound in the shop at registration, then in the member card by unionid.
      const user = await registered(phone, SHOP, { openid: 'o_shop_old', unionid: 'u_old' });
      await silentLogin(CARD, 'o_card_old', 'u_old').expect(200);
      expect(await bindingsOf(user.user.id)).toEqual(
        [
          { appId: SHOP.appId, openid: 'o_shop_old' },
          { appId: CARD.appId, openid: 'o_card_old' },
        ].sort((a, b) => a.appId.localeCompare(b.appId)),
      );

      // The number is recycled: the new owner proves it in the shop from another WeChat account.
      const res = await phoneLogin(SHOP, phone, loginCode(SHOP, 'o_shop_new', 'u_new')).expect(200);
      expect(res.body).toMatchObject({ user: { id: user.user.id }, wechatAccountBound: true });
      expect(await unionidOf(user.user.id)).toBe('u_new');
      expect(await bindingsOf(user.user.id)).toEqual([{ appId: SHOP.appId, openid: 'o_shop_new' }]);

      // The old account must prove the phone again, in either app, by openid or by unionid.
      for (const [app, openid] of [
        [CARD, 'o_card_old'],
        [SHOP, 'o_shop_old'],
      ] as const) {
        const old = await silentLogin(app, openid, 'u_old').expect(404);
        expect(old.body).toMatchObject({ code: 'WECHAT_ACCOUNT_NOT_BOUND' });
      }
      // The new account logs in silently in the member card through its unionid.
      const card = await silentLogin(CARD, 'o_card_new', 'u_new').expect(200);
      expect((card.body as LoginBody).user.id).toBe(user.user.id);
      expect(t.logs.text).toContain(
        `User ${user.user.id} proved the phone from another WeChat account in app ${SHOP.appId}: ` +
          `the old account's bindings were removed in ${[CARD.appId, SHOP.appId].sort().join(', ')}`,
      );
    });

    it('keeps the bindings in other apps when the phone is proven from the same WeChat account', async () => {
      const phone = nextPhone();
      const user = await registered(phone, SHOP, { openid: 'o_shop_same', unionid: 'u_same' });
      await phoneLogin(CARD, phone, loginCode(CARD, 'o_card_same', 'u_same')).expect(200);
      await phoneLogin(SHOP, phone, loginCode(SHOP, 'o_shop_same', 'u_same')).expect(200);
      expect(await bindingsOf(user.user.id)).toEqual(
        [
          { appId: SHOP.appId, openid: 'o_shop_same' },
          { appId: CARD.appId, openid: 'o_card_same' },
        ].sort((a, b) => a.appId.localeCompare(b.appId)),
      );
    });
  });

  describe('identifiers compare byte for byte', () => {
    it('tells openids and unionids that differ only in case apart', async () => {
      const upper = await registered(nextPhone(), SHOP, {
        openid: 'oAbcCase',
        unionid: 'uAbcCase',
      });
      for (const [openid, unionid] of [
        ['oabccase', undefined],
        ['oabccase', 'uabccase'],
      ]) {
        const res = await silentLogin(SHOP, openid as string, unionid).expect(404);
        expect(res.body).toMatchObject({ code: 'WECHAT_ACCOUNT_NOT_BOUND' });
      }
      const lowerPhone = nextPhone();
      const lower = await registered(lowerPhone);
      const bound = await phoneLogin(
        SHOP,
        lowerPhone,
        loginCode(SHOP, 'oabccase', 'uabccase'),
      ).expect(200);
      expect(bound.body).toMatchObject({ wechatAccountBound: true });
      const asLower = await silentLogin(SHOP, 'oabccase').expect(200);
      expect((asLower.body as LoginBody).user.id).toBe(lower.user.id);
      const asUpper = await silentLogin(SHOP, 'oAbcCase').expect(200);
      expect((asUpper.body as LoginBody).user.id).toBe(upper.user.id);
      const viaUnionid = await silentLogin(CARD, 'o_card_case', 'uabccase').expect(200);
      expect((viaUnionid.body as LoginBody).user.id).toBe(lower.user.id);
    });

    // TypeORM's drift check does not compare collations: this is the check that does, on MySQL/MariaDB.
    (harnessEnvironment().mysqlUrl ? it : it.skip)(
      'gives every identifier column the collation its entity declares',
      async () => {
        const declared = t.dataSource.entityMetadatas.flatMap((entity) =>
          entity.columns
            .filter((column) => column.collation)
            .map((column) => ({
              table: entity.tableName,
              column: column.databaseName,
              collation: column.collation,
            })),
        );
        expect(declared.map((d) => `${d.table}.${d.column}`).sort()).toEqual(
          [
            'registration_ticket_uses.jti',
            'refresh_tokens.token_hash',
            'users.unionid',
            'wechat_access_tokens.app_key',
            'wechat_accounts.app_id',
            'wechat_accounts.openid',
            'wechat_accounts.unionid',
          ].sort(),
        );
        const actual = await t.dataSource.query<
          { table: string; column: string; collation: string }[]
        >(
          'SELECT TABLE_NAME AS `table`, COLUMN_NAME AS `column`, COLLATION_NAME AS collation ' +
            'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL',
        );
        for (const column of declared) {
          expect(actual).toContainEqual({ ...column, collation: 'utf8mb4_bin' });
        }
        // And no identifier column was left case-insensitive.
        const binary = actual.filter((row) => row.collation === 'utf8mb4_bin');
        expect(binary).toHaveLength(declared.length);
      },
    );
  });
});
