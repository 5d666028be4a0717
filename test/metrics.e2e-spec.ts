import request from 'supertest';
import { ADMIN_TOKEN } from './helpers/admin-client';
import { useAppOn, useDatabaseAndFakeWechat } from './helpers/suite';

/** The value of one sample of the exposition, e.g. `wxlogin_logins_total{kind="phone",code="OK"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * GET /metrics in Prometheus text format: what an operator's dashboards and
 * alerts read. Label sets stay bounded (route templates, not paths).
 */
describe('GET /metrics (e2e)', () => {
  const shared = useDatabaseAndFakeWechat();

  describe('with ADMIN_TOKEN', () => {
    const app = useAppOn(shared, { ADMIN_TOKEN, RATE_LIMIT_AUTH_PER_MIN: '5' });
    const scrape = async (): Promise<string> =>
      (
        await request(app.t.url)
          .get('/metrics')
          .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
          .expect(200)
      ).text;

    it('requires the admin token', async () => {
      const res = await request(app.t.url).get('/metrics').expect(401);
      expect(res.body).toMatchObject({ code: 'ADMIN_TOKEN_INVALID' });
      await request(app.t.url).get('/metrics').set('Authorization', 'Bearer nope').expect(401);
    });

    it('counts logins by outcome, WeChat calls by endpoint and errcode, token fetches by app', async () => {
      await app.flow.registerNewUser('13900000001');
      await app.flow.phoneLogin(shared.wechat.phoneCode('13900000001')).expect(200);
      const code = shared.wechat.phoneCode('13900000002');
      shared.wechat.failFor(code, { errcode: 40029 }, 1);
      await app.flow.phoneLogin(code).expect(401);

      const res = await request(app.t.url)
        .get('/metrics')
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
      const text = res.text;
      expect(sample(text, 'wxlogin_logins_total{kind="phone",code="PHONE_NOT_REGISTERED"}')).toBe(
        1,
      );
      expect(sample(text, 'wxlogin_logins_total{kind="register",code="OK"}')).toBe(1);
      expect(sample(text, 'wxlogin_logins_total{kind="phone",code="OK"}')).toBe(1);
      expect(sample(text, 'wxlogin_logins_total{kind="phone",code="WECHAT_CODE_INVALID"}')).toBe(1);
      expect(sample(text, 'wxlogin_error_responses_total{code="WECHAT_CODE_INVALID"}')).toBe(1);
      expect(
        sample(text, 'wxlogin_wechat_calls_total{endpoint="getuserphonenumber",errcode="0"}'),
      ).toBe(2);
      expect(
        sample(text, 'wxlogin_wechat_calls_total{endpoint="getuserphonenumber",errcode="40029"}'),
      ).toBe(1);
      expect(
        sample(text, 'wxlogin_wechat_call_duration_seconds_count{endpoint="getuserphonenumber"}'),
      ).toBe(3);
      expect(text).toMatch(
        /wxlogin_wechat_call_duration_seconds_bucket\{le="0.05",endpoint="getuserphonenumber"\} \d/,
      );
      expect(
        sample(
          text,
          `wxlogin_wechat_token_fetches_total{app="${shared.wechat.appId}",result="ok"}`,
        ),
      ).toBe(1);
      expect(
        sample(text, `wxlogin_wechat_token_expires_in_seconds{app="${shared.wechat.appId}"}`),
      ).toBeGreaterThan(300);
      expect(sample(text, `wxlogin_wechat_misconfigured{app="${shared.wechat.appId}"}`)).toBe(0);
      // The default process metrics.
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    });

    it('times requests by route template, never by raw path', async () => {
      await request(app.t.url).get('/no/such/path/3f9a1c').expect(404);
      await request(app.t.url).get('/no/such/path/77b2e0').expect(404);
      await request(app.t.url).get('/HEALTH/LIVE/').expect(200);
      const text = await scrape();
      expect(text).not.toContain('3f9a1c');
      expect(text).not.toContain('/HEALTH');
      expect(
        sample(
          text,
          'wxlogin_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}',
        ),
      ).toBe(2);
      expect(
        sample(
          text,
          'wxlogin_http_request_duration_seconds_count{method="GET",route="/health/live",status="200"}',
        ),
      ).toBe(1);
      expect(
        sample(
          text,
          'wxlogin_http_request_duration_seconds_count{method="POST",route="/auth/wechat/phone-login",status="200"}',
        ),
      ).toBe(1);
    });

    it('counts rate-limit refusals by limit', async () => {
      // 4 auth requests so far; the fifth passes, the sixth is refused.
      await app.flow.phoneLogin('x').expect(401);
      await app.flow.phoneLogin('x').expect(429);
      const text = await scrape();
      expect(sample(text, 'wxlogin_rate_limited_total{limit="auth"}')).toBe(1);
      expect(sample(text, 'wxlogin_logins_total{kind="phone",code="TOO_MANY_REQUESTS"}')).toBe(1);
    });
  });

  describe('without ADMIN_TOKEN', () => {
    const app = useAppOn(shared);

    it('is open (scraped inside the private network)', async () => {
      const res = await request(app.t.url).get('/metrics').expect(200);
      expect(res.text).toContain('# TYPE wxlogin_logins_total counter');
    });
  });

  describe('with METRICS_ENABLED=false', () => {
    const app = useAppOn(shared, { METRICS_ENABLED: 'false' });

    it('has no /metrics', async () => {
      const res = await request(app.t.url).get('/metrics').expect(404);
      expect(res.body).toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});
