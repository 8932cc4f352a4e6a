import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

const STOP_FILE = '/test/topology/stop.test.ts';

/** The files in the usual order, except that stop.test.ts (Ctrl-C and the clean-stop checks) runs last. */
class StopLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isStop = (f: TestSpecification) => f.moduleId.endsWith(STOP_FILE);
    return [...sorted.filter((f) => !isStop(f)), ...sorted.filter(isStop)];
  }
}

// `npm run test:topology` (.ci/run runs it after `npm test`): the production topology of `npm run stack`, brought up
// once by the global setup (as root: users, network namespaces), exercised by the files of test/topology/ one after
// another; the last one stops it with SIGINT and checks that nothing of it is left behind.
export default defineConfig({
  test: {
    include: ['test/topology/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/topology/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { sequencer: StopLast },
  },
});
