/**
 * Swagger UI in a real browser: the built app (dist/main.js, simulator on, helmet on)
 * serves /docs; Chromium opens it, runs "Try it out" on POST /auth/wechat/phone-login
 * with a code minted by the simulator, and must see the 404 PHONE_NOT_REGISTERED answer,
 * with no Content-Security-Policy violation on the way; and uploads an image file with
 * "Try it out" on PUT /users/me/avatar and sees the new avatarUrl.
 *
 * Needs `npm run build` and /usr/bin/chromium (`apt-get install -y chromium`); a missing
 * one fails the test (it is not skipped). Run:
 *   npx jest -c test/browser/jest.config.js swagger-ui
 * Screenshot of the executed operation: /tmp/swagger-ui.png (SWAGGER_UI_SCREENSHOT to
 * change it); on a failure, the page as it was: /tmp/swagger-ui-failure.png.
 */
import * as path from 'node:path';
import { Locator, Page } from 'playwright-core';
import { harnessEnvironment } from '../../src/config/harness-environment';
import { LaunchedApp } from '../helpers/app-process';
import { httpCall } from '../helpers/http-client';
import { failureWithScreenshot, startAppInChromium, STEP_TIMEOUT } from './chromium';

const AVATAR_FIXTURE = path.resolve(__dirname, '../fixtures/avatar.jpg');

const SCREENSHOT = harnessEnvironment().swaggerUiScreenshot ?? '/tmp/swagger-ui.png';
const FAILURE_SCREENSHOT = '/tmp/swagger-ui-failure.png';
const PHONE = '13800138000';
const PHONE_E164 = '+8613800138000';

interface BrowserLog {
  console: string[];
  pageErrors: string[];
  failedRequests: string[];
}

describe('Swagger UI (/docs) in Chromium', () => {
  let app: LaunchedApp | undefined;
  let close: (() => Promise<void>) | undefined;
  let page: Page;
  const log: BrowserLog = { console: [], pageErrors: [], failedRequests: [] };
  const failure = (error: unknown) =>
    failureWithScreenshot(page, FAILURE_SCREENSHOT, error, describeLog(log), app!.output());

  beforeAll(async () => {
    ({ app, page, close } = await startAppInChromium({}, { width: 1280, height: 1000 }));
    page.on('console', (message) => log.console.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => log.pageErrors.push(error.message));
    page.on('requestfailed', (request) =>
      log.failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? '?'}`),
    );
  }, 90_000);

  afterAll(() => close?.(), 30_000);

  it('serves /docs under helmet’s Content-Security-Policy', async () => {
    const answer = await httpCall('GET', `${app!.url}/docs`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('"Try it out" on POST /auth/wechat/phone-login shows 404 PHONE_NOT_REGISTERED', async () => {
    const minted = await httpCall('POST', `${app!.url}/__wechat-sim/phone-codes`, {
      json: { phoneNumber: PHONE },
    });
    expect(minted.status).toBe(200);
    const { code } = JSON.parse(minted.text) as { code: string };
    expect(typeof code).toBe('string');

    try {
      await page.goto(`${app!.url}/docs`, { waitUntil: 'load' });

      // The operation block, found by its path rather than by Swagger UI's generated id.
      const operation = page.locator('.opblock.opblock-post').filter({
        has: page.locator('.opblock-summary-path[data-path="/auth/wechat/phone-login"]'),
      });
      await operation.waitFor({ state: 'visible' });
      await operation.locator('button.opblock-summary-control').click();

      await operation.locator('button.try-out__btn').click();
      const body = operation.locator('textarea.body-param__text');
      await body.waitFor({ state: 'visible' });
      await body.fill(JSON.stringify({ code }));

      await operation.locator('button.execute').click();

      const row = operation.locator('.live-responses-table tbody tr.response').first();
      await row.waitFor({ state: 'visible' });
      await waitForText(row.locator('.response-col_status'), '404');
      const responseBody = row.locator('.response-col_description .highlight-code pre');
      await responseBody.waitFor({ state: 'visible' });
      const text = await responseBody.innerText();
      expect(text).toContain('PHONE_NOT_REGISTERED');
      expect(text).toContain(PHONE_E164);
      expect(text).toContain('registrationTicket');

      // The request Swagger UI sent is the one we typed.
      const curl = await operation.locator('.curl-command').innerText();
      expect(curl).toContain(`/auth/wechat/phone-login`);
      expect(curl).toContain(code);

      await screenshotOf(page, operation, row);
    } catch (error) {
      throw await failure(error);
    }
  });

  it('"Try it out" on PUT /users/me/avatar uploads a file and shows the new avatarUrl', async () => {
    const accessToken = await registeredUser(app!.url, '13900139001');
    try {
      if (!page.url().startsWith(`${app!.url}/docs`)) {
        await page.goto(`${app!.url}/docs`, { waitUntil: 'load' });
      }
      // What the Authorize dialog does with a pasted token.
      await page.waitForFunction(() => 'ui' in window);
      await page.evaluate((token) => {
        (
          window as unknown as { ui: { preauthorizeApiKey(name: string, value: string): void } }
        ).ui.preauthorizeApiKey('bearer', token);
      }, accessToken);

      const operation = page.locator('.opblock.opblock-put').filter({
        has: page.locator('.opblock-summary-path[data-path="/users/me/avatar"]'),
      });
      await operation.waitFor({ state: 'visible' });
      await operation.locator('button.opblock-summary-control').click();
      await operation.locator('button.try-out__btn').click();
      await operation.locator('input[type="file"]').setInputFiles(AVATAR_FIXTURE);
      await operation.locator('button.execute').click();

      const row = operation.locator('.live-responses-table tbody tr.response').first();
      await waitForText(row.locator('.response-col_status'), '200');
      const text = await row.locator('.response-col_description .highlight-code pre').innerText();
      const avatarUrl = /"avatarUrl": "(\/avatars\/[a-f0-9]{40}\.(?:jpg|png))"/.exec(text)?.[1];
      expect(avatarUrl).toBeDefined();
      const image = await httpCall('GET', `${app!.url}${avatarUrl}`);
      expect([image.status, image.headers['content-type']]).toEqual([200, 'image/jpeg']);
      expect(await operation.locator('.curl-command').innerText()).toContain('multipart/form-data');
    } catch (error) {
      throw await failure(error);
    }
  });

  it('raises no Content-Security-Policy violation and loads every asset of /docs', async () => {
    if (!page.url().startsWith(`${app!.url}/docs`)) {
      // Run on its own (jest -t): load the page here.
      await page.goto(`${app!.url}/docs`, { waitUntil: 'load' });
      await page.locator('.opblock').first().waitFor({ state: 'visible' });
    }
    const violations = await page.evaluate(() => window.__cspViolations ?? []);
    const cspConsole = log.console.filter((line) => /content[- ]security[- ]policy/i.test(line));
    // A failed request would be e.g. an asset upgraded to https by upgrade-insecure-requests.
    if (
      violations.length > 0 ||
      cspConsole.length > 0 ||
      log.failedRequests.length > 0 ||
      log.pageErrors.length > 0
    ) {
      throw new Error(
        `Swagger UI ran into trouble:\n--- CSP violations (securitypolicyviolation events)\n` +
          `${violations.join('\n')}\n${describeLog(log)}`,
      );
    }
  });
});

/** A new user of the simulator's phone, registered; its access token. */
async function registeredUser(base: string, phoneNumber: string): Promise<string> {
  const minted = await httpCall('POST', `${base}/__wechat-sim/phone-codes`, {
    json: { phoneNumber },
  });
  const { code } = minted.body as { code: string };
  const login = await httpCall('POST', `${base}/auth/wechat/phone-login`, { json: { code } });
  const { registrationTicket } = login.body as { registrationTicket: string };
  const registered = await httpCall('POST', `${base}/auth/wechat/register`, {
    json: { registrationTicket, nickname: 'swagger' },
  });
  expect(registered.status).toBe(201);
  return (registered.body as { accessToken: string }).accessToken;
}

/** Waits until the element reads `expected` (Playwright Test's toHaveText, without Playwright Test). */
async function waitForText(locator: Locator, expected: string): Promise<void> {
  await locator.waitFor({ state: 'visible' });
  const deadline = Date.now() + STEP_TIMEOUT;
  let actual = '';
  while (Date.now() < deadline) {
    actual = (await locator.innerText()).trim();
    if (actual === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`expected ${locator.toString()} to read "${expected}"; it reads "${actual}"`);
}

async function screenshotOf(page: Page, operation: Locator, row: Locator): Promise<void> {
  // From the operation's header to the end of the live answer: request body, curl,
  // status and response body in one picture (the whole block is ~5000 px tall).
  await row.scrollIntoViewIfNeeded();
  const top = await operation.boundingBox();
  const bottom = await row.boundingBox();
  if (!top || !bottom) {
    await page.screenshot({ path: SCREENSHOT });
    return;
  }
  const scroll = await page.evaluate(() => ({ x: window.scrollX, y: window.scrollY }));
  await page.screenshot({
    path: SCREENSHOT,
    fullPage: true,
    clip: {
      x: top.x + scroll.x,
      y: top.y + scroll.y,
      width: top.width,
      height: bottom.y + bottom.height - top.y,
    },
  });
}

function describeLog(log: BrowserLog): string {
  return [
    '--- browser console',
    ...log.console,
    '--- page errors',
    ...log.pageErrors,
    '--- failed requests',
    ...log.failedRequests,
  ].join('\n');
}
