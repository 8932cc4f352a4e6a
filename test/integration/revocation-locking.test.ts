/**
 * Lock order of a revocation (db/repositories/revocation.ts `revokeAsRequested`): the certificate row before the audit
 * chain's lock. A stored OCSP response holds its certificate row (FOR KEY SHARE, through the foreign key) while it
 * appends its audit entry; a revocation that took the audit lock first and then waited for that row deadlocked with it
 * (seen when an incident revoked while the OCSP refresh ran). Reproduced here deterministically on PostgreSQL.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../db/repositories/audit';
import { getCertificateBySerial } from '../../db/repositories/certificates';
import { revokeAsRequested } from '../../db/repositories/revocation';
import { certificates } from '../../db/schema';
import { InMemorySigner } from '../../pki/memory-signer';
import { freshDatabase } from '../support/database';
import { seedCertificates } from '../support/ocsp-fixtures';
import { seedIssuingCa } from '../support/revocation-fixtures';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'revocation_locking' });
  await seedIssuingCa(fresh.handle.db, new InMemorySigner());
});
afterAll(async () => {
  await fresh?.drop();
});

describe('a revocation and an OCSP store on the same certificate', () => {
  it('both complete: the revocation waits for the row before it takes the audit lock (no deadlock)', async () => {
    const db = fresh.handle.db;
    const [cert] = await seedCertificates(db, { count: 1, status: 'issued' });
    let rowHeld!: () => void;
    const held = new Promise<void>((r) => (rowHeld = r));
    // What storeOcspResponses does: the response row's foreign key holds the certificate row, then the audit entry.
    const ocspStore = db.transaction(async (tx) => {
      await tx.select({ serial: certificates.serial }).from(certificates).where(eq(certificates.serial, cert!.serial)).for('key share');
      rowHeld();
      await new Promise((r) => setTimeout(r, 500));
      await appendAudit(tx, { actor: 'ocsp-signer', event: 'ocsp.responses_signed', data: { serials: [cert!.serial] } });
    });
    await held;
    const revocation = revokeAsRequested(db, {
      serial: cert!.serial,
      orderId: cert!.orderId,
      actor: 'incident:test',
      reason: 4,
      at: new Date(),
      deadline: new Date(Date.now() + 86_400_000),
      deadlineRule: 'BR 4.9.1.1',
      workflowId: 'incident-test',
    });
    const [ocsp, revoked] = await Promise.allSettled([ocspStore, revocation]);
    expect(ocsp.status).toBe('fulfilled');
    expect(revoked.status, String((revoked as PromiseRejectedResult).reason)).toBe('fulfilled');
    expect((await getCertificateBySerial(db, cert!.serial))!.status).toBe('revoked');
  });
});
