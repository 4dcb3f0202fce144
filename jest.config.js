/** @type {import('jest').Config} */
module.exports = {
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFiles: ['reflect-metadata'],
  testEnvironment: 'node',
  // SWC keeps decorator metadata (TypeGraphQL needs it) and is much faster than ts-jest;
  // `npm run typecheck` does the type checking.
  transform: {
    '^.+\\.(ts|js)$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // ESM-only packages (openapi-backend's ref parser; cookie 2 under light-my-request, which
  // Node 20 loads through require(esm) but Jest cannot): compile them to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@apidevtools/json-schema-ref-parser|cookie)/)'],
  // Two cores here; each worker owns its own database.
  maxWorkers: 2,
  testTimeout: 30000,
};
