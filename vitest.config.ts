import { configDefaults, defineConfig } from 'vitest/config';

// Two projects: `unit` (pure code, beside it, and test/unit/: the layers lint) and `integration` (real PostgreSQL, SoftHSM2, Temporal, DNS),
// whose global setup brings the services up under .data-test/ exactly as `npm start` does under data/.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['domain/**/*.test.ts', 'pki/**/*.test.ts', 'api/**/*.test.ts', 'workflows/**/*.test.ts', 'config/**/*.test.ts', 'test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // test/unit/ needs no services: the unit project runs it; test/topology/ runs on its own stack
          // (`npm run test:topology`, vitest.topology.config.ts).
          exclude: [...configDefaults.exclude, 'test/unit/**', 'test/topology/**'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Services are shared; files run one after another to keep the 2-core machine predictable.
          fileParallelism: false,
        },
      },
    ],
  },
});
