import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the page's script imports the browser package from (served by DevController). */
export const BROWSER_PACKAGE_ROUTE = '/dev/connect.js';

/**
 * The development page's script (an inline module with the page's nonce): each "Connect" form opens
 * the flow in a popup with the browser package (clients/browser), as a product's frontend would
 * (docs/connect.md). The session comes from the same form route asked for JSON; the outcome reloads
 * the page with its banner. Without JavaScript, or without the built package, the forms post as before
 * (a full-page redirect). Text only through textContent.
 */
export const DEV_PAGE_SCRIPT = `import { connect, handleRedirectResult } from '${BROWSER_PACKAGE_ROUTE}';
handleRedirectResult();
const status = document.getElementById('connect-status');
for (const form of document.querySelectorAll('form[data-connect]')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = form.dataset.connect;
    status.textContent = 'Connecting ' + name + ' in a popup…';
    connect({
      session: async () => {
        const res = await fetch(form.action, { method: 'POST', headers: { accept: 'application/json' } });
        if (!res.ok) throw new Error('POST ' + form.action + ' answered ' + res.status);
        return res.json();
      },
      onEvent: (e) => {
        if (e.type === 'popup_blocked') status.textContent = 'Popup blocked: continuing in this window…';
      },
    }).then((result) => {
      if (result.status === 'closed') {
        status.textContent = 'The popup was closed before ' + name + ' was connected.';
        return;
      }
      location.assign(
        result.status === 'connected'
          ? '/?status=connected&connectionId=' + encodeURIComponent(result.connectionId)
          : '/?status=error&error=' + encodeURIComponent(result.error || 'unknown_error'),
      );
    });
  });
}
`;

/**
 * The built browser package (`npm run build --prefix clients/browser`, or any jest run's globalSetup):
 * looked for upwards from here, so it is found from src/ (ts-jest, ts-node) and from dist/src/.
 * Undefined when it has not been built.
 */
export function browserPackageFile(from = __dirname): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'clients', 'browser', 'dist', 'index.js');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}
