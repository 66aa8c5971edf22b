import type { Page } from 'playwright-core';
import { TEST_API_KEY } from './app';

const SUBMIT = 'form[action="/admin/sign-in"] button';

/** Opens `from` (a console page sends a browser without a session to sign-in) and types `key` in the form. */
async function fillSignIn(page: Page, baseUrl: string, key: string, from: string): Promise<void> {
  await page.goto(`${baseUrl}${from}`);
  await page.waitForURL(/\/admin\/sign-in$/);
  await page.fill('#key', key);
}

/**
 * The console's sign-in form in a real browser, as an operator fills it: opens `from` (a console page,
 * or the sign-in page itself), types `key` and submits. What the console answers is left to the caller
 * (a refusal is a test of its own). Over HTTP without a browser: consoleSignIn (test/support/console.ts).
 */
export async function submitConsoleSignIn(page: Page, baseUrl: string, key: string, from = '/admin/sign-in') {
  await fillSignIn(page, baseUrl, key, from);
  await page.click(SUBMIT);
}

/** Signs `page`'s browser context in with an admin key (TEST_API_KEY by default): it ends on the overview. */
export async function consoleSignInInBrowser(
  page: Page,
  baseUrl: string,
  key = TEST_API_KEY,
  from = '/admin/sign-in',
): Promise<void> {
  await fillSignIn(page, baseUrl, key, from);
  await Promise.all([page.waitForURL(`${baseUrl}/admin`), page.click(SUBMIT)]);
}
