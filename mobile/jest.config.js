/** Jest: jest-expo preset (React Native), tests next to the code. */
const expoPreset = require('jest-expo/jest-preset');

module.exports = {
  preset: 'jest-expo',
  // @noble/* ship ES modules only: let Babel transform them like the preset's React Native packages.
  transformIgnorePatterns: expoPreset.transformIgnorePatterns.map((p) => p.replace('|standard-navigation))', '|standard-navigation|@noble))')),
  setupFiles: ['<rootDir>/jest.setup.tsx'],
  setupFilesAfterEnv: ['<rootDir>/jest.after-env.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/e2e/', '/dist/'],
  moduleNameMapper: { '^@/(.*)$': '<rootDir>/src/$1' },
  clearMocks: true,
  testTimeout: 20000,
};
