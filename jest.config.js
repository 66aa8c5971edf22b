/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
  // One embedded Postgres for the whole run; each test file gets its own database.
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
  setupFilesAfterEnv: ['<rootDir>/test/setup/no-network.ts'],
  // Two cores: two files at a time.
  maxWorkers: 2,
  testTimeout: 30000,
  // nock's interceptors live on the global scope across files; jest's soft cleanup only warns about them.
  testEnvironmentOptions: { globalsCleanup: 'off' },
};
