// The sample mini-program's journey (examples/miniprogram) driven by
// miniprogram-simulate against the live backend: `npm run build` first, then
//   npx jest -c test/miniprogram/jest.config.js
// Neither the unit config (package.json, src/**/*.spec.ts) nor the e2e config
// (test/jest-e2e.json, *.e2e-spec.ts) matches these *.test.js files.
module.exports = {
  displayName: 'miniprogram',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.test.js'],
  // miniprogram-simulate renders the pages' WXML into a DOM.
  testEnvironment: 'jsdom',
  // Plain CommonJS, like the mini-program itself: nothing to compile.
  transform: {},
  testTimeout: 20000,
};
