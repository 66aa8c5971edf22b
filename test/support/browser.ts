import { Browser, chromium } from 'playwright-core';

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
