// Checks that need the built app and a real Chromium (Swagger UI), and the check of
// the generated client types. `npm run build` first (and, for client-types.test.ts,
// scripts/generate-client-types.ts), then:
//   npx jest -c test/browser/jest.config.js
// Neither the unit config (package.json: rootDir src, *.spec.ts) nor the e2e config
// (test/jest-e2e.json: *.e2e-spec.ts) matches these *.test.ts files.
const path = require('path');

module.exports = {
  displayName: 'browser',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, '../../tsconfig.json') }],
  },
  testEnvironment: 'node',
  // One browser and one backend at a time: the files start their own processes.
  maxWorkers: 1,
  testTimeout: 60000,
};
