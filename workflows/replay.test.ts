/**
 * Replay of recorded histories (ARCHITECTURE.md convention 9): a change to workflow code that would break workflows
 * already running in production (non-determinism) fails here. Histories are recorded from the end-to-end issuance
 * test (`RECORD_HISTORY=<file> npx vitest run --project integration test/e2e/issuance.test.ts`; the `-lean-stuck-watch`
 * history is the path since the `stuck-orders` and `cost-per-certificate` patches) and, for OV, from
 * `RECORD_HISTORY_DIR=test/fixtures/histories … test/e2e/ov-issuance.test.ts`; when a workflow
 * changes, guard the change with patched() and keep the old histories replaying.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../test/fixtures/histories/', import.meta.url));
const histories = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('recorded workflow histories replay against the current code', () => {
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });
  for (const file of histories) {
    it(`replays ${file}`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(dir + file, 'utf8')));
      await expect(
        Worker.runReplayHistory({ workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)) }, history),
      ).resolves.toBeUndefined();
    }, 120_000);
  }
});
