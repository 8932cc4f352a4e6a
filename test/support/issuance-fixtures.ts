/**
 * Issued certificates as the issuance cycle leaves them, inserted straight into PostgreSQL for the operator tests
 * (incident selection by lint, the self-audit): the order, its valid authorization and challenge (BR 3.2.2.4.7), the
 * primary's DCV evidence, a passing MPIC round for DCV and for CAA with five remote perspectives in five RIR regions
 * (BR 3.2.2.9 as in force in 2026), and the certificate DER — a real CP 7.1.1 leaf signed by the issuing key in
 * `signer` (pki/certificate.ts buildLeafTbs), so zlint and pkilint lint it like one the CA signed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { issuerUrls, type CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { authorizations, certificates, challenges, corroborations, orders, validationEvidence } from '../../db/schema';
import { buildLeafTbs, signCertificate, type OrganizationSubject } from '../../pki/certificate';
import type { InMemorySigner } from '../../pki/memory-signer';
import { randomSerialHex } from '../../pki/ca-hierarchy';

const perspective = (name: string, region: string) => ({ perspective: name, region, outcome: 'corroborates', detail: 'found' });
/** A quorum as domain/mpic.ts stores it: the primary and five corroborating remotes. */
export const passingQuorum = {
  passed: true,
  primary: perspective('primary', 'APNIC'),
  remotes: [perspective('dev-arin', 'ARIN'), perspective('dev-ripe', 'RIPE'), perspective('dev-apnic', 'APNIC'), perspective('dev-lacnic', 'LACNIC'), perspective('dev-afrinic', 'AFRINIC')],
};

export interface IssuedFixture {
  readonly serial: string;
  readonly orderId: string;
  readonly challengeId: string;
  readonly der: Uint8Array;
}

export async function seedIssuedCertificate(
  db: Db,
  signer: InMemorySigner,
  input: {
    accountId: string;
    config: Pick<CaConfig, 'certificateBaseUrl' | 'cps'>;
    issuer: { id: string; subjectDer: Uint8Array; keyIdentifier: Uint8Array; keyLabel: string };
    fqdn?: string;
    /** The subscriber key's label in `signer` (one key may appear in several certificates). */
    subscriberKey?: string;
    notBefore?: Date;
    validityDays?: number;
    /** OV (CP 7.1.1): the vetted subject; the certificate then has the OV profile (its issuer: the 'ov' CA). */
    organization?: OrganizationSubject;
  },
): Promise<IssuedFixture> {
  const orderId = randomUUID();
  const fqdn = input.fqdn ?? `s${randomBytes(4).toString('hex')}.operator.example.jp`;
  const notBefore = new Date(Math.floor((input.notBefore ?? new Date()).getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + (input.validityDays ?? 90) * 86_400_000 - 1000);
  const validatedAt = new Date(notBefore.getTime() - 60_000);
  const spkiDer = await signer.publicKeySpki(input.subscriberKey ?? 'subscriber');
  const spkiSha256 = new Uint8Array(await crypto.subtle.digest('SHA-256', spkiDer));
  const serial = randomSerialHex().replace(/^0+/, '');
  const profile = input.organization ? 'ov' : 'dv';
  const tbs = buildLeafTbs({
    serialHex: serial,
    issuer: input.issuer,
    notBefore,
    notAfter,
    dnsNames: [fqdn],
    commonName: fqdn,
    spkiDer,
    profile,
    ...(input.organization ? { organization: input.organization } : {}),
    urls: issuerUrls(input.config, input.issuer.id),
    cps: input.config.cps,
    includeSubjectKeyIdentifier: true,
    kind: 'final',
  });
  const der = await signCertificate(tbs, signer, input.issuer.keyLabel);
  await db.insert(orders).values({
    id: orderId,
    accountId: input.accountId,
    profile,
    status: 'valid',
    csrDer: Uint8Array.of(0x30, 0x00),
    spkiSha256,
    dnsNames: [fqdn],
    validitySeconds: (input.validityDays ?? 90) * 86_400,
    workflowId: `order-${orderId}`,
    expiresAt: new Date(notBefore.getTime() + 7 * 86_400_000),
  });
  const [authz] = await db.insert(authorizations).values({ orderId, accountId: input.accountId, fqdn, status: 'valid', validatedAt }).returning();
  const [challenge] = await db
    .insert(challenges)
    .values({ authorizationId: authz!.id, method: '3.2.2.4.7', recordName: `_acme-challenge.${fqdn}`, token: randomBytes(24).toString('base64url'), status: 'valid', expiresAt: new Date(notBefore.getTime() + 25 * 86_400_000), validatedAt })
    .returning();
  const evidence = (check: 'dcv' | 'caa', corroborationId: string | null, raw: unknown, by = passingQuorum.primary) => ({
    challengeId: challenge!.id,
    fqdn,
    authorizationDomainName: fqdn,
    method: check === 'dcv' ? '3.2.2.4.7' : 'BR 3.2.2.8 (CAA)',
    perspective: by.perspective,
    query: check === 'dcv' ? `_acme-challenge.${fqdn} IN TXT` : `${fqdn} IN CAA`,
    rawAnswers: raw,
    result: 'success' as const,
    checkedAt: validatedAt,
    check,
    region: by.region,
    corroborationId,
  });
  const [dcvRound] = await db.insert(corroborations).values({ orderId, authorizationId: authz!.id, fqdn, check: 'dcv', method: '3.2.2.4.7 (dns-01)', result: 'pass', quorum: passingQuorum, checkedAt: validatedAt }).returning();
  const [caaRound] = await db.insert(corroborations).values({ orderId, authorizationId: authz!.id, fqdn, check: 'caa', method: 'BR 3.2.2.8 (CAA)', result: 'pass', quorum: passingQuorum, checkedAt: validatedAt }).returning();
  const caaLookups = [{ name: fqdn, records: [{ flags: 0, tag: 'issue', value: 'jprs.jp', ttl: 300 }] }];
  await db.insert(validationEvidence).values([
    // Step 2: the primary found the value; step 3: each remote's DCV result, and every perspective's CAA lookups.
    evidence('dcv', null, [{ name: `_acme-challenge.${fqdn}`, answers: ['token'] }]),
    ...passingQuorum.remotes.map((r) => evidence('dcv', dcvRound!.id, [{ name: `_acme-challenge.${fqdn}`, answers: ['token'] }], r)),
    ...[passingQuorum.primary, ...passingQuorum.remotes].map((r) => evidence('caa', caaRound!.id, caaLookups, r)),
  ]);
  await db.insert(certificates).values({
    serial,
    orderId,
    accountId: input.accountId,
    issuerId: input.issuer.id,
    spkiSha256,
    dnsNames: [fqdn],
    status: 'issued',
    notBefore,
    notAfter,
    // The precertificate is not what these tests read (the linters and the self-audit take the final certificate).
    precertDer: Uint8Array.of(0x30, 0x00),
    certDer: der,
  });
  return { serial, orderId, challengeId: challenge!.id, der };
}
