'use strict';
/**
 * The service run from its TypeScript sources (ts-node, transpile only), for tests that need it in a
 * process of its own and must not depend on the shared dist/ being built from the current sources
 * (OpenTelemetry is process-wide: test/e2e/telemetry.e2e.spec.ts). `spawnService(env, { main: SERVICE_FROM_SOURCE })`.
 *
 * With TEST_LOADED_MODULES_FILE set, the paths of every module loaded so far are written to that file
 * when SIGTERM arrives (before the service's own shutdown, which the signal then starts as usual).
 */
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });

const modulesFile = process.env.TEST_LOADED_MODULES_FILE;
if (modulesFile) {
  process.once('SIGTERM', () => {
    require('node:fs').writeFileSync(modulesFile, Object.keys(require.cache).join('\n'));
  });
}

require(path.join(root, 'src', 'main.ts'));
