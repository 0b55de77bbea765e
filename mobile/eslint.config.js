// ESLint flat config: Expo's rules plus a ban on `any` in app code.
const { defineConfig } = require('eslint/config');
const expoConfig = require('eslint-config-expo/flat');

module.exports = defineConfig([
  expoConfig,
  {
    ignores: ['dist/*', 'e2e-artifacts/*', 'node_modules/*', 'src/api/schema.d.ts', '.expo/*', 'public/litert/*', 'public/bootstrap-model/*'],
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
]);
