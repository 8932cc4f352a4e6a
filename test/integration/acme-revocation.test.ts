/**
 * RFC 8555 §7.6 revokeCert through the CA's one revocation entry point: by the account the certificate was issued to
 * (kid) or by the certificate's own key (jwk), CP 3.4 (2)(3); nobody else. One request is one `revocation.requested`
 * audit entry (BR 5.4.1): the door writes none, the revokeCertificate workflow's first activity writes it, played here
 * for each start the fake recorded (test/support/revocation-audit.ts).
 * The server, its fresh database and the recording Temporal fake: ./acme-fixture.ts.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64url, exportJWK } from 'jose';
import { upsertIssuer } from '../../db/repositories/issuers';
import { certificates } from '../../db/schema';
import { randomSerialHex } from '../../pki/ca-hierarchy';
import type { AccountKey, AcmeTestClient } from '../support/acme-client';
import { countAuditEvents, recordAsWorkflowWould } from '../support/revocation-audit';
import { client, problem, registeredClient, useAcmeTestServer, zone } from './acme-fixture';

const s = useAcmeTestServer('acme_revoke');
const DAY = 86_400_000;

beforeAll(async () => {
  // The certificates' issuer row (revocation reads its id only; no CA key is needed for these tests).
  const bytes = (n: number) => new Uint8Array(n).fill(1);
  await upsertIssuer(s.fresh.handle.db, { id: 'dv', keyLabel: 'dv-g4', subjectDer: Uint8Array.of(0x30, 0x00), spkiSha256: bytes(32), keyIdentifier: bytes(20) });
});

/**
 * An issued certificate of an ACME order of `c`: a self-signed stand-in made by OpenSSL with a fresh P-256 key
 * (revokeCert compares the DER byte for byte with the stored one and reads its serial; it checks no signature).
 */
async function issuedCertificate(c: AcmeTestClient): Promise<{ serial: string; der: Uint8Array; key: AccountKey }> {
  const name = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.${zone}`;
  const created = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: name }] });
  expect(created.status).toBe(201);
  const orderId = created.headers.get('location')!.split('/').pop()!;
  const [order] = await s.fresh.handle.sql`select account_id from orders where id = ${orderId}`;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = randomSerialHex().replace(/^0+/, '');
  const dir = mkdtempSync(path.join(tmpdir(), 'acme-revoke-'));
  let der: Uint8Array;
  try {
    writeFileSync(path.join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    der = new Uint8Array(
      execFileSync('openssl', ['req', '-x509', '-key', path.join(dir, 'key.pem'), '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-set_serial', `0x${serial}`, '-days', '30', '-outform', 'DER']),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' });
  await s.fresh.handle.db.insert(certificates).values({
    serial,
    orderId,
    accountId: order!.account_id as string,
    issuerId: 'dv',
    spkiSha256: new Uint8Array(createHash('sha256').update(spkiDer).digest()),
    dnsNames: [name],
    status: 'issued',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    precertDer: der,
    certDer: der,
  });
  return { serial, der, key: { alg: 'ES256', privateKey: privateKey as KeyObject, jwk: await exportJWK(publicKey) } };
}

/** The revocation the last request started, after the workflow's first step ran for it as it would in Temporal. */
async function lastRevocationStarted() {
  const [input] = s.workflows.calls.startRevocation.at(-1)!;
  await recordAsWorkflowWould(s.fresh.handle.db, input);
  return input;
}

const revocationRequests = (serial: string) => countAuditEvents(s.fresh.handle.db, serial);

describe('RFC 8555 §7.6 revokeCert', () => {
  let c: AcmeTestClient;
  beforeAll(async () => {
    c = await registeredClient(s);
  });

  it('revokes for the account the certificate was issued to, with exactly one revocation.requested audit entry', async () => {
    const cert = await issuedCertificate(c);
    const res = await c.post(c.directory.revokeCert!, { certificate: base64url.encode(cert.der), reason: 4 });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await lastRevocationStarted()).toMatchObject({ serial: cert.serial, reason: 4, requester: { kind: 'acmeAccount', acmeAccountId: c.kid!.split('/').pop() } });
    expect(await revocationRequests(cert.serial)).toBe(1);
    const [row] = await s.fresh.handle.sql`select status, revocation_reason from certificates where serial = ${cert.serial}`;
    expect(row).toEqual({ status: 'revoked', revocation_reason: 4 });

    const again = await c.post(c.directory.revokeCert!, { certificate: base64url.encode(cert.der), reason: 4 });
    expect((await problem(again)).type).toBe('urn:ietf:params:acme:error:alreadyRevoked');
    expect(await revocationRequests(cert.serial)).toBe(1);
  });

  it('revokes when signed by the certificate key (jwk), with exactly one audit entry', async () => {
    const cert = await issuedCertificate(c);
    const res = await c.post(c.directory.revokeCert!, { certificate: base64url.encode(cert.der) }, { key: cert.key, useJwk: true });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await lastRevocationStarted()).toMatchObject({ serial: cert.serial, reason: 0, requester: { kind: 'certificateKey' } });
    expect(await revocationRequests(cert.serial)).toBe(1);
  });

  it('refuses another account, a bad reason and a certificate this CA did not store, auditing nothing', async () => {
    const cert = await issuedCertificate(c);
    const other = await client(s);
    await other.register();
    const before = s.workflows.calls.startRevocation.length;
    const stranger = await other.post(other.directory.revokeCert!, { certificate: base64url.encode(cert.der) });
    expect(stranger.status).toBe(403);
    expect((await problem(stranger)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    const hold = await c.post(c.directory.revokeCert!, { certificate: base64url.encode(cert.der), reason: 6 });
    expect((await problem(hold)).type).toBe('urn:ietf:params:acme:error:badRevocationReason');
    const altered = Uint8Array.from(cert.der);
    altered[altered.length - 1]! ^= 1;
    const unknown = await c.post(c.directory.revokeCert!, { certificate: base64url.encode(altered) });
    expect(unknown.status).toBe(404);
    expect(s.workflows.calls.startRevocation.length).toBe(before);
    expect(await revocationRequests(cert.serial)).toBe(0);
  });
});
