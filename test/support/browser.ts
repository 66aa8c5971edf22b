import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';

/** Where the screenshots the docs show are kept (tracked in git). */
export const DOCS_IMAGES = path.resolve(__dirname, '..', '..', 'docs', 'images');

/**
 * Headless Chromium (the binary @sparticuz/chromium ships, unpacked by globalSetup). Background
 * networking is off: this machine has no internet and Chromium would otherwise keep trying.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.TEST_CHROMIUM_PATH;
  if (!executablePath)
    throw new Error('TEST_CHROMIUM_PATH is unset: run the tests through jest (globalSetup unpacks Chromium)');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--no-zygote',
      '--disable-setuid-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      '--no-default-browser-check',
    ],
  });
}

/**
 * A screenshot of the page's viewport for the docs (`docs/images/<name>`). Taken on every run, so a
 * page that cannot be rendered fails the test; the file is written only with `UPDATE_SCREENSHOTS=1`,
 * so an ordinary run leaves the tracked images (and every working tree) alone.
 */
export async function docsScreenshot(page: Page, name: string): Promise<void> {
  const image = await page.screenshot({ fullPage: false });
  // A PNG of exactly the viewport: the page rendered something the size the docs show.
  const viewport = page.viewportSize();
  expect(image.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect({ width: image.readUInt32BE(16), height: image.readUInt32BE(20) }).toEqual(viewport);
  if (process.env.UPDATE_SCREENSHOTS === '1') fs.writeFileSync(path.join(DOCS_IMAGES, name), image);
}
