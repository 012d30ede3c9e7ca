import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', '.stryker-tmp/**', 'mutation-build/**', 'docs/api/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // core/ is the pure reducer: no clock, no global randomness, no I/O.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'net', 'dgram', 'os', 'crypto', 'child_process', 'seedrandom', '../sim/*', '../runtime-node/*', '../cli/*'] }],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'core/ takes randomness as input' },
        { object: 'Date', property: 'now', message: 'core/ takes time as input' },
        { object: 'performance', property: 'now', message: 'core/ takes time as input' }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process'],
    },
  },
  {
    // The core's tests may read their rule scripts from disk (core/rules.test.ts); nothing else.
    files: ['core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', '!node:fs', '!node:path', 'fs', 'net', 'dgram', 'os', 'crypto', 'child_process', 'seedrandom', '../sim/*', '../runtime-node/*', '../cli/*'] }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval'],
    },
  },
  {
    // The lookup engine knows none of its users (they reach it through purposes.ts): importing
    // one would close an import cycle again. Type-only imports are allowed.
    files: ['core/lookup.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { group: ['node:*', 'fs', 'net', 'dgram', 'os', 'crypto', 'child_process', 'seedrandom', '../sim/*', '../runtime-node/*', '../cli/*'], message: 'core/ is pure' },
        { group: ['./fingers', './join', './stabilize', './failure', './reprobe', './leave', './neighbours', './storage', './purposes', './deadlines', './step'], message: 'the lookup engine imports none of its users', allowTypeImports: true },
      ] }],
      'no-restricted-imports': 'off',
    },
  },
);
