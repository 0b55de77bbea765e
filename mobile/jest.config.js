/** Jest: jest-expo preset (React Native), tests next to the code. */
module.exports = {
  preset: 'jest-expo',
  setupFiles: ['<rootDir>/jest.setup.tsx'],
  setupFilesAfterEnv: ['<rootDir>/jest.after-env.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/e2e/', '/dist/'],
  moduleNameMapper: { '^@/(.*)$': '<rootDir>/src/$1' },
  clearMocks: true,
  testTimeout: 20000,
};
