/** @type {import('jest').Config} */
module.exports = {
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFiles: ['reflect-metadata'],
  testEnvironment: 'node',
  // ts-jest in transpile-only mode (isolatedModules in tsconfig.jest.json): keeps the decorator metadata TypeGraphQL
  // needs and stays fast; `npm run typecheck` does the type checking. (SWC and Jest 30 are
  // avoided: their per-platform binaries are not all on the registry this project installs
  // from, and `npm ci` rejects a lockfile that names them.)
  transform: {
    '^.+\\.(ts|js)$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  // ESM-only packages (openapi-backend's ref parser; cookie 2 under light-my-request, which
  // Node 20 loads through require(esm) but Jest cannot): compile them to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@apidevtools/json-schema-ref-parser|cookie)/)'],
  // Two cores here; each worker owns its own database.
  maxWorkers: 2,
  testTimeout: 30000,
};
