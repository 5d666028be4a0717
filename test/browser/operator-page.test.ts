/**
 * The operator page (GET /admin) in a real browser: the built app (dist/main.js,
 * simulator on, helmet on, ADMIN_TOKEN set) serves it; Chromium pastes the admin
 * token, looks up a user this test registered, blocks them (their next login is
 * refused with 403 USER_BLOCKED), unblocks them (the login works again), and sees
 * the app's token status, with no Content-Security-Policy violation and nothing
 * fetched from anywhere but the app.
 *
 * Needs `npm run build` and /usr/bin/chromium. Run:
 *   npx jest -c test/browser/jest.config.js operator-page
 * Screenshot of the blocked user: tmp/operator-page.png in the repository (gitignored;
 * OPERATOR_PAGE_SCREENSHOT to change it); on a failure: tmp/operator-page-failure.png.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Page } from 'playwright-core';
import { harnessEnvironment } from '../../src/config/harness-environment';
import { LaunchedApp, REPO_ROOT } from '../helpers/app-process';
import { httpCall } from '../helpers/http-client';
import { failureWithScreenshot, startAppInChromium } from './chromium';

const ARTEFACTS = path.join(REPO_ROOT, 'tmp');
const SCREENSHOT =
  harnessEnvironment().operatorPageScreenshot ?? path.join(ARTEFACTS, 'operator-page.png');
const FAILURE_SCREENSHOT = path.join(ARTEFACTS, 'operator-page-failure.png');
const ADMIN_TOKEN = 'browser-admin-token-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const PHONE = '13912345678';
const OPENID = 'o-operator-page-user';
describe('operator page (/admin) in Chromium', () => {
  let app: LaunchedApp | undefined;
  let close: (() => Promise<void>) | undefined;
  let page: Page;
  const problems: string[] = [];
  const requested: string[] = [];

  const sim = async (route: string, json: object): Promise<string> => {
    const answer = await httpCall('POST', `${app!.url}/__wechat-sim/${route}`, { json });
    expect(answer.status).toBe(200);
    return (JSON.parse(answer.text) as { code: string }).code;
  };
  const phoneLogin = async () =>
    httpCall('POST', `${app!.url}/auth/wechat/phone-login`, {
      json: { code: await sim('phone-codes', { phoneNumber: PHONE }) },
    });

  beforeAll(async () => {
    mkdirSync(ARTEFACTS, { recursive: true });
    ({ app, page, close } = await startAppInChromium(
      { ADMIN_TOKEN },
      { width: 1280, height: 900 },
    ));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('request', (r) => requested.push(r.url()));
  }, 90_000);

  afterAll(() => close?.(), 30_000);

  it('looks up a user, blocks them (login refused), unblocks them (login works)', async () => {
    // A user of this test: registered with a bound openid.
    const first = await phoneLogin();
    expect(first.status).toBe(404);
    const { registrationTicket } = JSON.parse(first.text) as { registrationTicket: string };
    const registered = await httpCall('POST', `${app!.url}/auth/wechat/register`, {
      json: {
        registrationTicket,
        nickname: '小明',
        loginCode: await sim('login-codes', { openid: OPENID }),
      },
    });
    expect(registered.status).toBe(201);

    try {
      await page.goto(`${app!.url}/admin`, { waitUntil: 'load' });
      await page.fill('#admin-token', ADMIN_TOKEN);
      await page.click('#token-form button[type=submit]');
      await page.locator('#token-state', { hasText: 'accepted' }).waitFor();
      // The token is not left in the field (it lives in the script's memory only).
      expect(await page.inputValue('#admin-token')).toBe('');
      const appRow = page.locator('#apps tbody tr').first();
      await appRow.waitFor();
      expect(await appRow.innerText()).toContain('wx0000000000simulator');
      expect(await appRow.innerText()).toMatch(/\byes\b/);

      // Look up by openid, then by phone.
      await page.selectOption('#lookup-by', 'openid');
      await page.fill('#lookup-value', OPENID);
      await page.click('#lookup-form button[type=submit]');
      const user = page.locator('.user').first();
      await user.waitFor();
      expect(await user.innerText()).toContain('+8613912345678');
      await page.selectOption('#lookup-by', 'phone');
      await page.fill('#lookup-value', PHONE);
      await page.click('#lookup-form button[type=submit]');
      await user.locator('.user-status', { hasText: 'active' }).waitFor();
      expect(await user.innerText()).toContain(OPENID);

      await user.locator('input.reason').fill('chargeback fraud, ticket 4711');
      await user.locator('button.block').click();
      await page.locator('.user .user-status', { hasText: 'BLOCKED: chargeback fraud' }).waitFor();
      await page.locator('.user', { hasText: 'block (chargeback fraud, ticket 4711)' }).waitFor();
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      const refused = await phoneLogin();
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.text)).toMatchObject({ code: 'USER_BLOCKED' });

      await page.locator('.user button.unblock').click();
      await page.locator('.user .user-status', { hasText: 'active' }).waitFor();
      expect((await phoneLogin()).status).toBe(200);
    } catch (error) {
      throw await failureWithScreenshot(
        page,
        FAILURE_SCREENSHOT,
        error,
        problems.join('\n'),
        app!.output(),
      );
    }
  });

  it('runs under the CSP and fetches nothing but from the app', async () => {
    const violations = await page.evaluate(() => window.__cspViolations ?? []);
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
    expect(requested.filter((url) => !url.startsWith(app!.url))).toEqual([]);
    expect(requested).toContain(`${app!.url}/admin/operator.js`);
  });
});
