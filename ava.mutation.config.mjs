// Stryker's test command: the core, simulator and property tests, compiled once by the
// buildCommand in stryker.config.json, so each mutant skips ts-node start-up.
export default {
  files: ['mutation-build/{core,sim,properties}/**/*.test.js'],
  timeout: '5m',
};
