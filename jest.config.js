// Three projects, one run: `npm test` runs all of them; `npm run test:unit` (jest --selectProjects unit)
// runs only the fast, pure tests, which need no Postgres, no app and no build.
//
// - unit: test/unit, pure code.
// - integration: the rest of test/, whose outcome may depend on the Node version (the app over HTTP,
//   the spawned service, the embedded Postgres client, the production bundle started by
//   development-module.e2e).
// - node-independent: the files below, whose outcome does not depend on the Node that runs them: real
//   Chromium rendering pages, documents and the compose file checked as text, openapi.json and the
//   generated clients (Spectral, redocly, tsc spawned on the client), the migrations' drift check. CI
//   (.ci/run) runs them on its first Node only (`npm test -- --selectProjects unit integration` on the
//   second).
//
// Options a project cannot set stay at the top level: maxWorkers, and testTimeout (jest-circus reads
// the global config's testTimeout only; a project's own would be ignored). globalSetup/globalTeardown
// are per project: jest runs a project's hooks only when one of its tests is selected (once per hook
// file, however many selected projects name it), so the unit project alone never starts Postgres.

const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] };

/** Paths under the repository: a folder ends with `/`. */
const NODE_INDEPENDENT = [
  'test/browser/',
  'test/e2e/http-hardening-docs.e2e.spec.ts',
  'test/e2e/docs-links.spec.ts',
  'test/e2e/docker-compose.spec.ts',
  'test/e2e/openapi.spec.ts',
  'test/e2e/openapi-spectral.spec.ts',
  'test/e2e/openapi-outside-client.e2e.spec.ts',
  'test/e2e/client-generated.spec.ts',
  'test/e2e/migrations.spec.ts',
];
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What every project that needs the app shares. */
const withApp = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  // One embedded Postgres for the whole run; each test file gets its own database.
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
  setupFilesAfterEnv: ['<rootDir>/test/setup/no-network.ts'],
  // nock's interceptors live on the global scope across files; jest's soft cleanup only warns about them.
  testEnvironmentOptions: { globalsCleanup: 'off' },
};

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  // Two cores: two files at a time.
  maxWorkers: 2,
  testTimeout: 30000,
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/unit/**/*.spec.ts'],
      transform,
      // No outbound HTTP here either: a unit test that reaches for the network fails.
      setupFilesAfterEnv: ['<rootDir>/test/setup/no-network.ts'],
      testEnvironmentOptions: { globalsCleanup: 'off' },
    },
    {
      ...withApp,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.spec.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/unit/',
        ...NODE_INDEPENDENT.map((p) => `<rootDir>/${escape(p)}${p.endsWith('/') ? '' : '$'}`),
      ],
    },
    {
      ...withApp,
      displayName: 'node-independent',
      testMatch: NODE_INDEPENDENT.map((p) => `<rootDir>/${p}${p.endsWith('/') ? '**/*.spec.ts' : ''}`),
    },
  ],
};
