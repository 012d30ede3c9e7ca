// Stryker's test command: the core and property tests, compiled once by the
// buildCommand in stryker.config.json, so each mutant skips ts-node start-up.
export default {
  files: ['mutation-build/core/**/*.test.js', 'mutation-build/properties/**/*.test.js'],
  timeout: '5m',
};
