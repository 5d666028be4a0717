// The sample mini-program's journey (examples/miniprogram) driven by
// miniprogram-simulate against the live backend: `npm run build` first, then
//   npx jest -c test/miniprogram/jest.config.js
// Neither the unit config (package.json, src/**/*.spec.ts) nor the e2e config
// (test/jest-e2e.json, *.e2e-spec.ts) matches these *.test.js files.
const path = require('path');

module.exports = {
  displayName: 'miniprogram',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.test.js'],
  moduleFileExtensions: ['js', 'ts', 'json'],
  // miniprogram-simulate renders the pages' WXML into a DOM.
  testEnvironment: 'jsdom',
  // Plain CommonJS, like the mini-program itself: only the shared test kit
  // (test/helpers, TypeScript) is compiled.
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, '../../tsconfig.json') }],
  },
  testTimeout: 20000,
};
