/**
 * The audit checkpoint as operators run it: the main worker creates the `audit-checkpoint` Temporal Schedule (every
 * 10 minutes), and `npm run admin -- audit checkpoint` has the signing worker sign the chain head now, over Temporal;
 * `npm run admin -- audit verify` then checks the chain and every checkpoint with the key read from the HSM.
 * (Tampering is in test/integration/audit-checkpoints.test.ts, on databases of its own.)
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../config';
import { auditCheckpointScheduleId } from '../../domain/workflow-ids';
import { startHarness, type Harness } from '../support/ca-harness';

const run = promisify(execFile);
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ perspectives: false });
});
afterAll(async () => {
  await h?.stop();
});

/** The operator's CLI, as `npm run admin --` runs it, with the test services' environment. */
async function admin(...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts/admin.ts'), ...args], { env: process.env, timeout: 60_000 });
  return JSON.parse(stdout);
}

describe('signed audit checkpoints on a Schedule and on demand', () => {
  it('the main worker created the audit-checkpoint Schedule: every 10 minutes, checkpointAudit on the main queue', async () => {
    const d = await h.temporal.schedule.getHandle(auditCheckpointScheduleId).describe();
    expect(d.spec.intervals?.map((i) => i.every)).toEqual([600_000]);
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'checkpointAudit', taskQueue: h.config.temporal.taskQueue });
  });

  it('admin audit checkpoint signs the current head; admin audit verify checks the chain and the checkpoint', async () => {
    await h.newAccount('Checkpoint Applicant');
    const [head] = await h.db.sql`select max(id)::int as id from audit_log`;
    const cp = (await admin('audit', 'checkpoint')) as { signed: boolean; sequence: number; signature: string };
    expect(cp.sequence).toBeGreaterThanOrEqual(head!.id as number);
    expect(cp.signature).toMatch(/^[0-9a-f]{512}$/);
    const [stored] = await h.db.sql`select key_label from audit_checkpoints where sequence = ${cp.sequence}`;
    expect(stored!.key_label).toBe('audit-checkpoint');
    expect(await admin('audit', 'verify')).toMatchObject({ ok: true, latestCheckpoint: { sequence: expect.any(Number) } });
  });
});
