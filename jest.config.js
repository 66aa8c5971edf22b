// Two projects, one run: `npm test` runs both; `npm run test:unit` (jest --selectProjects unit) runs only
// the fast, pure tests, which need no Postgres, no app and no build.
//
// Options a project cannot set stay at the top level: maxWorkers, and testTimeout (jest-circus reads
// the global config's testTimeout only; a project's own would be ignored). globalSetup/globalTeardown
// are per project: jest runs a project's hooks only when one of its tests is selected, so the unit
// project alone never starts Postgres.

const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] };

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
      displayName: 'integration',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
      transform,
      // One embedded Postgres for the whole run; each test file gets its own database.
      globalSetup: '<rootDir>/test/setup/global-setup.mjs',
      globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
      setupFilesAfterEnv: ['<rootDir>/test/setup/no-network.ts'],
      // nock's interceptors live on the global scope across files; jest's soft cleanup only warns about them.
      testEnvironmentOptions: { globalsCleanup: 'off' },
    },
  ],
};
