/**
 * Rows for the revocation and CRL tests: an issuing CA whose key lives in an InMemorySigner (a fresh database has
 * no CA hierarchy), and certificate rows with a chosen account, provider, key, status and expiry — inserted straight
 * into `orders` and `certificates` (no DER needed: CRLs and revocations read serials, dates and reasons only).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import { upsertIssuer } from '../../db/repositories/issuers';
import { certificates, orders } from '../../db/schema';
import { buildIssuingCaTbs, buildStandInRootTbs, issuingCaSubject, randomSerialHex } from '../../pki/ca-hierarchy';
import { keyIdentifierOf, signCertificate } from '../../pki/certificate';
import type { InMemorySigner } from '../../pki/memory-signer';
import { buildNameDer } from '../../pki/names';

const DAY = 86_400_000;

/**
 * A stand-in root and the 'dv' issuing CA (and, with `ov`, the 'ov' one), keys 'root-ca'/'dv-g4'/'ov-g4' in `signer`,
 * stored as issuers rows.
 */
export async function seedIssuingCa(db: Db, signer: InMemorySigner, opts: { ov?: boolean } = {}): Promise<{ rootDer: Uint8Array; dvDer: Uint8Array }> {
  const now = new Date();
  const rootSpki = await signer.publicKeySpki('root-ca');
  const rootTbs = buildStandInRootTbs({ notBefore: now, notAfter: new Date(now.getTime() + 3650 * DAY), spkiDer: rootSpki });
  const rootDer = await signCertificate(rootTbs, signer, 'root-ca');
  const rootSubject = new Uint8Array(rootTbs.subject.toSchema().toBER(false));
  const urls = { crl: 'http://ca.example.jp/repository/crl/root.crl', ocsp: 'http://ca.example.jp/ocsp/root', caIssuers: 'http://ca.example.jp/repository/ca/root.cer' };
  const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
  await upsertIssuer(db, { id: 'root', keyLabel: 'root-ca', subjectDer: rootSubject, spkiSha256: sha(rootSpki), keyIdentifier: keyIdentifierOf(rootSpki), certDer: rootDer });
  const issuing = async (kind: 'dv' | 'ov') => {
    const spki = await signer.publicKeySpki(`${kind}-g4`);
    const der = await signCertificate(
      buildIssuingCaTbs({
        kind,
        issuer: { subjectDer: rootSubject, keyIdentifier: keyIdentifierOf(rootSpki) },
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: new Date(now.getTime() + 3650 * DAY),
        spkiDer: spki,
        urls,
        cpsUrl: 'http://ca.example.jp/repository/',
      }),
      signer,
      'root-ca',
    );
    await upsertIssuer(db, {
      id: kind,
      keyLabel: `${kind}-g4`,
      subjectDer: buildNameDer(issuingCaSubject(kind)),
      spkiSha256: sha(spki),
      keyIdentifier: keyIdentifierOf(spki),
      certDer: der,
      parentId: 'root',
    });
    return der;
  };
  const dvDer = await issuing('dv');
  if (opts.ov) await issuing('ov');
  return { rootDer, dvDer };
}

export interface SeedCertificate {
  readonly accountId: string;
  readonly providerAccountId?: string | null;
  readonly spkiSha256?: Uint8Array;
  readonly status?: 'reserved' | 'precertificate' | 'issued' | 'revoked';
  readonly notAfter?: Date;
  readonly reason?: number;
  readonly revokedAt?: Date;
}

export async function seedCertificate(db: Db, input: SeedCertificate): Promise<{ serial: string; orderId: string }> {
  const orderId = randomUUID();
  const serial = randomSerialHex().replace(/^0+/, '');
  const now = new Date();
  const spki = input.spkiSha256 ?? new Uint8Array(createHash('sha256').update(orderId).digest());
  const status = input.status ?? 'issued';
  const name = `r${orderId.slice(0, 8)}.revocation.example.jp`;
  await db.insert(orders).values({
    id: orderId,
    accountId: input.accountId,
    providerAccountId: input.providerAccountId ?? null,
    profile: 'dv',
    status: 'valid',
    csrDer: Uint8Array.of(0x30, 0x00),
    spkiSha256: spki,
    dnsNames: [name],
    validitySeconds: 199 * 86_400,
    workflowId: `order-${orderId}`,
    expiresAt: new Date(now.getTime() + 7 * DAY),
  });
  await db.insert(certificates).values({
    serial,
    orderId,
    accountId: input.accountId,
    issuerId: 'dv',
    spkiSha256: spki,
    dnsNames: [name],
    status,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: input.notAfter ?? new Date(now.getTime() + 100 * DAY),
    precertDer: status === 'reserved' ? null : Uint8Array.of(0x30, 0x00),
    certDer: status === 'issued' || status === 'revoked' ? Uint8Array.of(0x30, 0x00) : null,
    revokedAt: status === 'revoked' ? (input.revokedAt ?? now) : null,
    revocationReason: status === 'revoked' ? (input.reason ?? 0) : null,
  });
  return { serial, orderId };
}
