import request from 'supertest';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginBody, NotRegisteredBody } from './helpers/login-flow';
import { CARD, SHOP, SHOP_AND_CARD_ENV, useAppWithFakeWechat } from './helpers/suite';
import { TestApp } from './helpers/test-app';

describe('several mini-programs on one backend (e2e)', () => {
  let wechat: FakeWechat;
  let t: TestApp;

  const suite = useAppWithFakeWechat(SHOP_AND_CARD_ENV, [SHOP, CARD]);

  beforeAll(() => {
    ({ wechat, t } = suite);
  });

  const phoneLogin = (appId: string | undefined, body: object) => {
    const req = request(t.url).post('/auth/wechat/phone-login');
    return (appId ? req.set('X-WX-AppId', appId) : req).send(body);
  };

  it('asks the client to name its app when several are served', async () => {
    const missing = await phoneLogin(undefined, { code: wechat.phoneCode() }).expect(400);
    expect(missing.body).toMatchObject({ code: 'UNKNOWN_APPID' });
    const unknown = await phoneLogin('wx_not_ours', { code: wechat.phoneCode() }).expect(400);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_APPID' });
  });

  it("uses the named app's own token, and each app's token is fetched once", async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const app = i % 2 ? CARD : SHOP;
        const code = wechat.phoneCode(`1360000${String(i).padStart(4, '0')}`, undefined, app.appId);
        return phoneLogin(app.appId, { code });
      }),
    );
    expect(results.filter((r) => r.status !== 404)).toEqual([]);
    expect(wechat.phoneCalls.filter((c) => c.errcode !== 0)).toEqual([]);
    const status = await request(t.url).get('/health/ready').expect(200);
    expect(status.body).toMatchObject({
      details: {
        wechatAccessToken: {
          apps: [
            { appId: SHOP.appId, tokenHeld: true },
            { appId: CARD.appId, tokenHeld: true },
          ],
        },
      },
    });
    // Counted since boot: one fetch per app, for 40 logins and the boot.
    expect(wechat.tokenFetchesFor(SHOP.appId)).toBe(1);
    expect(wechat.tokenFetchesFor(CARD.appId)).toBe(1);
  });

  it('keeps one token row per app', () => {
    return t.dataSource
      .query('SELECT app_key FROM wechat_access_tokens ORDER BY app_key')
      .then((rows: { app_key: string }[]) =>
        expect(rows.map((row) => row.app_key)).toEqual(
          [`${CARD.appId}:stable`, `${SHOP.appId}:stable`].sort(),
        ),
      );
  });

  it('refuses a code minted in another mini-program', async () => {
    const shopCode = wechat.phoneCode('13600009999', undefined, SHOP.appId);
    const res = await phoneLogin(CARD.appId, { code: shopCode }).expect(401);
    expect(res.body).toMatchObject({ code: 'WECHAT_CODE_INVALID' });
  });

  it("reads the app from the Referer WeChat's client sends", async () => {
    const code = wechat.phoneCode('13600008888', undefined, CARD.appId);
    const res = await request(t.url)
      .post('/auth/wechat/phone-login')
      .set('Referer', `https://servicewechat.com/${CARD.appId}/12/page-frame.html`)
      .send({ code })
      .expect(404);
    expect(res.body).toMatchObject({ phoneNumber: '+8613600008888' });
  });

  it('shares users across apps by phone number, with openids bound per app', async () => {
    // Registers in the shop, binding the shop openid and the unionid.
    const first = await phoneLogin(SHOP.appId, {
      code: wechat.phoneCode('13600007777', undefined, SHOP.appId),
      loginCode: wechat.loginCode('o_shop_amy', 'u_amy', SHOP.appId),
    }).expect(404);
    const registered = (
      await request(t.url)
        .post('/auth/wechat/register')
        .set('X-WX-AppId', SHOP.appId)
        .send({ registrationTicket: (first.body as NotRegisteredBody).registrationTicket })
        .expect(201)
    ).body as LoginBody;

    // The same phone in the member card: the same user.
    const card = (
      await phoneLogin(CARD.appId, {
        code: wechat.phoneCode('13600007777', undefined, CARD.appId),
      }).expect(200)
    ).body as LoginBody;
    expect(card.user.id).toBe(registered.user.id);

    // The shop openid means nothing in the member card...
    await request(t.url)
      .post('/auth/wechat/session')
      .set('X-WX-AppId', CARD.appId)
      .send({ loginCode: wechat.loginCode('o_shop_amy', undefined, CARD.appId) })
      .expect(404);
    // ...but the unionid of the same Open Platform account logs her in, and binds the card openid.
    const viaUnionid = (
      await request(t.url)
        .post('/auth/wechat/session')
        .set('X-WX-AppId', CARD.appId)
        .send({ loginCode: wechat.loginCode('o_card_amy', 'u_amy', CARD.appId) })
        .expect(200)
    ).body as LoginBody;
    expect(viaUnionid.user.id).toBe(registered.user.id);
    const again = (
      await request(t.url)
        .post('/auth/wechat/session')
        .set('X-WX-AppId', CARD.appId)
        .send({ loginCode: wechat.loginCode('o_card_amy', undefined, CARD.appId) })
        .expect(200)
    ).body as LoginBody;
    expect(again.user.id).toBe(registered.user.id);
    const bindings = await t.dataSource.query<{ app_id: string; openid: string }[]>(
      'SELECT app_id, openid FROM wechat_accounts WHERE user_id = ? ORDER BY app_id',
      [registered.user.id],
    );
    expect(bindings).toEqual(
      [
        { app_id: CARD.appId, openid: 'o_card_amy' },
        { app_id: SHOP.appId, openid: 'o_shop_amy' },
      ].sort((a, b) => a.app_id.localeCompare(b.app_id)),
    );
  });

  it('documents the X-WX-AppId header', async () => {
    const doc = await request(t.url).get('/docs-json').expect(200);
    const parameters = (
      doc.body as {
        paths: Record<string, { post: { parameters: { name: string; in: string }[] } }>;
      }
    ).paths['/auth/wechat/phone-login'].post.parameters;
    expect(parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'X-WX-AppId', in: 'header' })]),
    );
  });
});
