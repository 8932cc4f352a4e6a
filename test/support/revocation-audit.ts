/**
 * BR 5.4.1: every revocation request is audited as exactly one `revocation.requested` entry, whichever door it came
 * through (REST, ACME, the admin CLI). A door's test runs without Temporal — the door starts the revokeCertificate
 * workflow through a fake CaWorkflows (fake-workflows.ts) —, so `recordAsWorkflowWould` plays that workflow's first
 * step, the recordRevocation activity that writes the entry, for a start the fake recorded; then
 * `countAuditEvents` counts the entries of the serial.
 *
 *   const res = await door.revoke(serial);                       // 202 / 200
 *   await recordAsWorkflowWould(db, workflows.calls.startRevocation.at(-1)![0]);
 *   expect(await countAuditEvents(db, serial)).toBe(1);
 */
import { and, eq, sql } from 'drizzle-orm';
import { createRevocationActivities } from '../../activities/revocation';
import type { Db } from '../../db/client';
import { auditLog } from '../../db/schema';
import { revocationWorkflowId } from '../../domain/workflow-ids';
import type { RevokeCertificateInput } from '../../workflows/revocation-contracts';

/** What revokeCertificate's first step does with its input (workflows/revokeCertificate.ts): record the request. */
export async function recordAsWorkflowWould(db: Db, input: RevokeCertificateInput): Promise<void> {
  await createRevocationActivities({ db, clock: () => new Date() }).recordRevocation({ ...input, workflowId: revocationWorkflowId(input.serial) });
}

/** How many audit entries of `event` the log holds for the serial. */
export async function countAuditEvents(db: Db, serial: string, event = 'revocation.requested'): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(auditLog)
    .where(and(eq(auditLog.serial, serial), eq(auditLog.event, event)));
  return row?.n ?? 0;
}
