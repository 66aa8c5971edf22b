import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

/** The built browser package (clients/browser; jest's globalSetup builds it). */
export const BROWSER_PACKAGE = path.resolve(__dirname, '..', '..', 'clients', 'browser', 'dist', 'index.js');

/**
 * The page script of a host page: the product's frontend, as docs/connect.md shows it. The test hands
 * it what the product's backend would (a session created with the API key) through
 * `window.__connectOptions`; a click on #connect calls `connect()` inside the click. Everything it learns
 * is kept on `window` for the test to read: the promise's result, the package's events, every message
 * event the page received (whatever its origin), and what `handleRedirectResult()` returned on load.
 */
const HOST_SCRIPT = `import { connect, handleRedirectResult } from './connect.js';
window.__messages = [];
window.addEventListener('message', (e) => window.__messages.push({ origin: e.origin, data: e.data }));
window.__events = [];
window.__redirectResult = handleRedirectResult();
document.getElementById('connect').addEventListener('click', () => {
  const o = window.__connectOptions || {};
  const session = o.deferred
    ? () => new Promise((resolve, reject) => { window.__deliverSession = resolve; window.__failSession = reject; })
    : o.session;
  window.__result = undefined;
  connect({ session, mode: o.mode, onEvent: (e) => window.__events.push(e) }).then((r) => { window.__result = r; });
});
document.getElementById('state').textContent = 'ready';
`;

const HOST_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Product settings</title>
<script type="module" src="/host.js"></script></head>
<body><h1>Settings</h1><button id="connect" type="button">Connect</button><p id="state">loading</p></body></html>`;

export interface HostPage {
  /** e.g. `http://localhost:40123` (another origin, and another site, than the service on 127.0.0.1). */
  origin: string;
  close(): Promise<void>;
}

/**
 * A product's page on its own origin: a tiny node:http server serving the page, its script and the
 * built package. The page sends what a careful product would: a CSP that allows only its own scripts
 * and requests to the service (`connect-src`), and `Cross-Origin-Opener-Policy: same-origin-allow-popups`
 * (docs/connect.md: a page with `same-origin` would cut itself off from the popup).
 */
export async function startHostPage(serviceOrigin: string): Promise<HostPage> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, {
        'content-type': type,
        'cache-control': 'no-store',
        'content-security-policy': `default-src 'none'; script-src 'self'; connect-src ${serviceOrigin}; style-src 'unsafe-inline'`,
        'cross-origin-opener-policy': 'same-origin-allow-popups',
      });
      res.end(body);
    };
    if (url.pathname === '/connect.js') return send('text/javascript', fs.readFileSync(BROWSER_PACKAGE));
    if (url.pathname === '/host.js') return send('text/javascript', HOST_SCRIPT);
    if (url.pathname === '/favicon.ico') return void res.writeHead(404).end();
    return send('text/html; charset=utf-8', HOST_HTML);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
