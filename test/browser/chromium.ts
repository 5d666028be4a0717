/**
 * One headless Chromium for the browser checks: a fresh profile, every CSP violation
 * counted in window.__cspViolations, and a failure report with a screenshot.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { LaunchedApp, launchApp, LaunchOptions } from '../helpers/app-process';

export const CHROMIUM = '/usr/bin/chromium';
export const STEP_TIMEOUT = 30_000;

/** Chromium's flags here: without the background-networking ones its own outgoing connections are refused, many at a time. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

export interface OpenChromium {
  page: Page;
  /** Closes the browser and removes its profile; each step on its own, so one failure leaves none undone. */
  close: () => Promise<void>;
}

/** Fails (it does not skip) without Chromium: CI installs it, so a missing one is a broken setup. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: this check needs Chromium (apt-get install -y chromium). ` +
        'It is not skipped on purpose: CI installs Chromium, so a missing one is a broken setup.',
    );
  }
}

export async function openChromium(viewport: {
  width: number;
  height: number;
}): Promise<OpenChromium> {
  requireChromium();
  // A fresh profile per run. Playwright refuses --user-data-dir among launch() args,
  // so the profile dir goes to launchPersistentContext instead (same effect).
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'wxlogin-chromium-'));
  let context: BrowserContext | undefined;
  const close = async () => {
    try {
      await context?.close();
    } catch {
      /* the browser may already be gone */
    }
    rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport,
      timeout: STEP_TIMEOUT,
    });
    context.setDefaultTimeout(STEP_TIMEOUT);
    // Counts every CSP violation, whether or not Chromium also logs it to the console.
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations?.push(
          `${event.violatedDirective} blocked ${event.blockedURI || '(inline)'} ` +
            `in ${event.sourceFile || event.documentURI}:${event.lineNumber}`,
        );
      });
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return { page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface AppInChromium {
  app: LaunchedApp;
  page: Page;
  /** Closes the browser, then stops the app. */
  close: () => Promise<void>;
}

/** The built app (as the launcher starts it, with `env`) and a Chromium to look at it; Chromium is checked for first. */
export async function startAppInChromium(
  env: LaunchOptions['env'],
  viewport: { width: number; height: number },
): Promise<AppInChromium> {
  requireChromium();
  const app = await launchApp({ readyTimeoutMs: STEP_TIMEOUT, env });
  try {
    const browser = await openChromium(viewport);
    const close = async () => {
      await browser.close();
      await app.stop();
    };
    return { app, page: browser.page, close };
  } catch (error) {
    await app.stop();
    throw error;
  }
}

/** The error to throw when a step fails: the page as it was is saved to `screenshot`, the logs are attached. */
export async function failureWithScreenshot(
  page: Page,
  screenshot: string,
  error: unknown,
  logs: string,
  backendOutput: string,
): Promise<Error> {
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => undefined);
  return new Error(
    `${String(error)}\n\nscreenshot: ${screenshot}\n${logs}\n--- backend output\n${backendOutput}`,
  );
}
