import { defineConfig } from 'vitest/config';

// `npm run test:topology` (.ci/run runs it after `npm test`): the production topology of `npm run stack`, brought up
// once by the global setup (as root: users, network namespaces), exercised by the files of test/topology/ one after
// another, then stopped with SIGINT — the teardown fails the run if anything of it is left behind.
export default defineConfig({
  test: {
    include: ['test/topology/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/topology/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
