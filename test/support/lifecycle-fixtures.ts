/**
 * Certificates for the life-cycle tests of the REST door without Temporal: an order made through POST /v1/orders (so
 * its CSR, names and acceptance are what the door stored) and the certificate row issuance would have written for it.
 */
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { createApp } from '../../api/app';
import type { Db } from '../../db/client';
import { certificates, orders } from '../../db/schema';
import { randomSerialHex } from '../../pki/ca-hierarchy';
import { currentAcceptance } from './acceptance';
import type { TestCsr } from './csr';

const DAY = 86_400_000;

/** POST /v1/orders as `apiKey` (JSON, the documents in force accepted), plus `body`; the order must be accepted. */
export async function postOrder(app: ReturnType<typeof createApp>, apiKey: string, csr: TestCsr, body: Record<string, unknown> = {}): Promise<{ id: string }> {
  const res = await app.request('/v1/orders', {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ csr: csr.pem, acceptance: currentAcceptance(), ...body }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string };
}

/** The certificate row of a completed issuance for `orderId` (status issued, DER a placeholder). */
export async function markIssued(
  db: Db,
  orderId: string,
  opts: { status?: 'precertificate' | 'issued' | 'revoked'; notAfter?: Date } = {},
): Promise<string> {
  const [o] = await db.select().from(orders).where(eq(orders.id, orderId));
  const serial = randomSerialHex().replace(/^0+/, '');
  const status = opts.status ?? 'issued';
  await db.insert(certificates).values({
    serial,
    orderId,
    accountId: o!.accountId,
    issuerId: 'dv',
    spkiSha256: o!.spkiSha256,
    dnsNames: o!.dnsNames,
    status,
    notBefore: new Date(Date.now() - DAY),
    notAfter: opts.notAfter ?? new Date(Date.now() + 199 * DAY),
    precertDer: Uint8Array.of(0x30, 0x00),
    certDer: status === 'precertificate' ? null : Uint8Array.of(0x30, 0x00),
    revokedAt: status === 'revoked' ? new Date() : null,
    revocationReason: status === 'revoked' ? 1 : null,
  });
  await db.update(orders).set({ status: 'valid' }).where(eq(orders.id, orderId));
  return serial;
}
