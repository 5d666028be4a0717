import request from 'supertest';
import { FORCE_REFRESH_MIN_INTERVAL_MS } from '../src/wechat/access-token.store';
import { WechatApps } from '../src/wechat/wechat-app';
import { ADMIN_TOKEN, adminClient } from './helpers/admin-client';
import { useAppOn, useDatabaseAndFakeWechat } from './helpers/suite';
import { startApp, TestApp } from './helpers/test-app';

interface AppStatus {
  appId: string;
  mode: string;
  tokenHeld: boolean;
  expiresAt: string | null;
  lastRefreshAt: string | null;
  lastError: { at: string; message: string } | null;
  forceRefresh: { today: number; lastAt: string | null };
}

/**
 * The operator's view of WeChat (token status, forced refresh within WeChat's
 * limits), the admin API's absence without ADMIN_TOKEN, its own rate limit,
 * its place in Swagger, and the production rule for the token.
 */
describe('admin operations (e2e)', () => {
  const shared = useDatabaseAndFakeWechat();
  const withAdmin = (t: TestApp) => adminClient(t.url);

  describe('WeChat token status and forced refresh', () => {
    const app = useAppOn(shared, { ADMIN_TOKEN });

    const heldToken = () => app.t.app.get(WechatApps).all[0].token.held?.token as string;
    const status = async (): Promise<AppStatus[]> =>
      (await withAdmin(app.t).get('/admin/wechat/apps').expect(200)).body as AppStatus[];
    const forcedFetches = () =>
      shared.wechat.calls.filter(
        (c) =>
          c.path === '/cgi-bin/stable_token' &&
          (c.body as { force_refresh?: boolean }).force_refresh,
      ).length;

    it('shows each app: token held, expiry, last refresh, last error — never the token or secret', async () => {
      await request(app.t.url)
        .post('/auth/wechat/phone-login')
        .send({ code: shared.wechat.phoneCode('13500000001') });
      const res = await withAdmin(app.t).get('/admin/wechat/apps').expect(200);
      expect(res.body).toEqual([
        {
          appId: shared.wechat.appId,
          mode: 'stable',
          tokenHeld: true,
          expiresAt: expect.any(String),
          expiresInSec: expect.any(Number),
          lastRefreshAt: expect.any(String),
          lastError: null,
          misconfigured: null,
          forceRefresh: { today: 0, lastAt: null },
        },
      ]);
      expect(heldToken()).toEqual(expect.any(String));
      expect(res.text).not.toContain(heldToken());
      expect(res.text).not.toContain(shared.wechat.secret);
    });

    it('forces a refresh within WeChat limits: 429 FORCE_REFRESH_LIMITED inside 30 s, then again', async () => {
      const before = heldToken();
      await withAdmin(app.t)
        .post(`/admin/wechat/apps/${shared.wechat.appId}/refresh-token`)
        .expect(204);
      expect(forcedFetches()).toBe(1);
      expect(heldToken()).not.toBe(before);
      expect((await status())[0].forceRefresh).toEqual({ today: 1, lastAt: expect.any(String) });

      app.t.clock.advance(10_000);
      const refused = await withAdmin(app.t)
        .post(`/admin/wechat/apps/${shared.wechat.appId}/refresh-token`)
        .expect(429);
      expect(refused.body).toMatchObject({ code: 'FORCE_REFRESH_LIMITED' });
      expect(Number(refused.headers['retry-after'])).toBe(20);
      expect(forcedFetches()).toBe(1);

      app.t.clock.advance(FORCE_REFRESH_MIN_INTERVAL_MS);
      shared.wechat.clock.advance(10_000 + FORCE_REFRESH_MIN_INTERVAL_MS);
      await withAdmin(app.t)
        .post(`/admin/wechat/apps/${shared.wechat.appId}/refresh-token`)
        .expect(204);
      expect(forcedFetches()).toBe(2);
      // The new token works for the next login.
      await request(app.t.url)
        .post('/auth/wechat/phone-login')
        .send({ code: shared.wechat.phoneCode('13500000002') })
        .expect(404);
    });

    it('records the forced refreshes in the audit table', async () => {
      const rows: { action: string; target_app_id: string }[] = await app.t.dataSource.query(
        'SELECT action, target_app_id FROM admin_audit WHERE target_app_id IS NOT NULL',
      );
      expect(rows).toEqual([
        { action: 'refresh-wechat-token', target_app_id: shared.wechat.appId },
        { action: 'refresh-wechat-token', target_app_id: shared.wechat.appId },
      ]);
    });

    it('shows the last error, and answers 400 UNKNOWN_APPID for an app it does not serve', async () => {
      app.t.clock.advance(FORCE_REFRESH_MIN_INTERVAL_MS);
      shared.wechat.failFor(
        shared.wechat.appId,
        { errcode: 40164, errmsg: 'invalid ip 203.0.113.7' },
        1,
      );
      const res = await withAdmin(app.t)
        .post(`/admin/wechat/apps/${shared.wechat.appId}/refresh-token`)
        .expect(503);
      expect(res.body).toMatchObject({ code: 'WECHAT_MISCONFIGURED' });
      expect((await status())[0].lastError).toEqual({
        at: expect.any(String),
        message: expect.stringMatching(/^errcode 40164: .*allow-list/),
      });
      const unknown = await withAdmin(app.t)
        .post('/admin/wechat/apps/wx_not_ours/refresh-token')
        .expect(400);
      expect(unknown.body).toMatchObject({ code: 'UNKNOWN_APPID' });
    });
  });

  describe('without ADMIN_TOKEN', () => {
    const app = useAppOn(shared);

    it('has no admin API and no page (404), whatever is sent', async () => {
      for (const path of [
        '/admin',
        '/admin/operator.js',
        '/admin/users?phone=13800138000',
        '/admin/wechat/apps',
      ]) {
        const res = await request(app.t.url)
          .get(path)
          .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
          .expect(404);
        expect(res.body).toMatchObject({ code: 'NOT_FOUND' });
      }
      const doc = (await request(app.t.url).get('/docs-json').expect(200)).body as {
        paths: object;
      };
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
    });
  });

  describe('its own rate limit and its place in Swagger', () => {
    const app = useAppOn(shared, { ADMIN_TOKEN, ADMIN_RATE_LIMIT_PER_MIN: '3' });

    it('counts wrong tokens too, and leaves the other routes alone', async () => {
      await request(app.t.url)
        .get('/admin/users?phone=1')
        .set('Authorization', 'Bearer guess-1')
        .expect(401);
      await request(app.t.url)
        .get('/admin/users?phone=1')
        .set('Authorization', 'Bearer guess-2')
        .expect(401);
      await withAdmin(app.t).get('/admin/wechat/apps').expect(200);
      const res = await withAdmin(app.t).get('/admin/wechat/apps').expect(429);
      expect(res.body).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      expect(res.headers['retry-after']).toBeDefined();
      await request(app.t.url).get('/health/live').expect(200);
      await request(app.t.url).post('/auth/wechat/phone-login').send({ code: 'x' }).expect(401);
    });

    it('lists the admin routes under their own tag and bearer scheme', async () => {
      const doc = (await request(app.t.url).get('/docs-json').expect(200)).body as {
        paths: Record<string, Record<string, { tags: string[]; security: object[] }>>;
        components: { securitySchemes: Record<string, object> };
      };
      const admin = Object.keys(doc.paths).filter((p) => p.startsWith('/admin'));
      expect(admin.sort()).toEqual([
        '/admin/users',
        '/admin/users/{id}',
        '/admin/users/{id}/block',
        '/admin/users/{id}/revoke-sessions',
        '/admin/users/{id}/unblock',
        '/admin/wechat/apps',
        '/admin/wechat/apps/{appId}/refresh-token',
      ]);
      for (const path of admin) {
        for (const operation of Object.values(doc.paths[path])) {
          expect(operation.tags).toEqual(['admin']);
          expect(operation.security).toEqual([{ admin: [] }]);
        }
      }
      expect(doc.components.securitySchemes.admin).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      expect(JSON.stringify(doc)).not.toContain(ADMIN_TOKEN);
    });
  });

  it('refuses to boot in production with an admin token under 32 characters', async () => {
    await expect(
      startApp({
        databaseUrl: shared.db.url,
        wechat: shared.wechat,
        env: { NODE_ENV: 'production', ADMIN_TOKEN: 'too-short' },
      }),
    ).rejects.toThrow(/ADMIN_TOKEN must be at least 32 characters/);
  });
});
