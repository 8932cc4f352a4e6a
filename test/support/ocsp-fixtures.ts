/**
 * Certificate rows for the OCSP tests and benchmark, inserted in bulk straight into `orders` and `certificates`
 * (no audit entries, no DER: the OCSP signer only reads a serial's issuer and status). The serials are fresh CSPRNG
 * serials like the real ones (BR 7.1), so requests and responses have realistic sizes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { createAccount } from '../../db/repositories/accounts';
import { certificates, orders } from '../../db/schema';
import { randomSerialHex } from '../../pki/ca-hierarchy';

export type SeedStatus = 'reserved' | 'precertificate' | 'issued' | 'revoked';

export interface SeededCertificate {
  readonly serial: string;
  readonly orderId: string;
  readonly status: SeedStatus;
  readonly notAfter: Date;
}

export async function seedCertificates(
  db: Db,
  input: { count: number; status: SeedStatus; issuerId?: string; reason?: number; revokedAt?: Date; notAfter?: Date; email?: string; language?: 'ja' | 'en' },
): Promise<SeededCertificate[]> {
  // One subscriber account per call, with the notices' address and language when the test reads its notices.
  const { account } = await createAccount(db, { name: `ocsp-fixture-${randomUUID().slice(0, 8)}`, email: input.email ?? null, ...(input.language ? { language: input.language } : {}) });
  const now = new Date();
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = input.notAfter ?? new Date(notBefore.getTime() + 199 * 86_400_000);
  const out: SeededCertificate[] = [];
  for (let offset = 0; offset < input.count; offset += 1000) {
    const n = Math.min(1000, input.count - offset);
    const rows = Array.from({ length: n }, (_, i) => {
      const orderId = randomUUID();
      const name = `c${offset + i}.${orderId.slice(0, 8)}.ocsp.example.jp`;
      return { orderId, name, serial: randomSerialHex().replace(/^0+/, ''), spki: createHash('sha256').update(orderId).digest() };
    });
    await db.insert(orders).values(
      rows.map((r) => ({
        id: r.orderId,
        accountId: account.id,
        profile: 'dv' as const,
        status: input.status === 'reserved' ? ('processing' as const) : ('valid' as const),
        csrDer: Uint8Array.of(0x30, 0x00),
        spkiSha256: r.spki,
        dnsNames: [r.name],
        validitySeconds: 199 * 86_400,
        workflowId: `order-${r.orderId}`,
        expiresAt: new Date(now.getTime() + 7 * 86_400_000),
      })),
    );
    await db.insert(certificates).values(
      rows.map((r) => ({
        serial: r.serial,
        orderId: r.orderId,
        accountId: account.id,
        issuerId: input.issuerId ?? 'dv',
        spkiSha256: r.spki,
        dnsNames: [r.name],
        status: input.status,
        notBefore,
        notAfter,
        precertDer: input.status === 'reserved' ? null : Uint8Array.of(0x30, 0x00),
        certDer: input.status === 'issued' || input.status === 'revoked' ? Uint8Array.of(0x30, 0x00) : null,
        revokedAt: input.status === 'revoked' ? (input.revokedAt ?? now) : null,
        revocationReason: input.status === 'revoked' ? (input.reason ?? 0) : null,
      })),
    );
    out.push(...rows.map((r) => ({ serial: r.serial, orderId: r.orderId, status: input.status, notAfter })));
  }
  return out;
}

/** Moves a stored response's thisUpdate into the past (to make it due for the refresh schedule). */
export async function ageOcspResponse(db: Db, serial: string, seconds: number): Promise<void> {
  await db.execute(sql`update ocsp_responses set this_update = this_update - make_interval(secs => ${seconds}) where serial = ${serial}`);
}
