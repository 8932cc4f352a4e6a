/**
 * A CA key changeover (CP 5.6) from "expiring soon" to issuance under the new key, on Temporal's time-skipping test
 * server with the real SoftHSM2 token (both keys, the stand-in root's signature), PostgreSQL, zlint/pkilint and the
 * signing activities; openssl checks every artifact.
 *
 * Seeded: the DV issuing CA's certificate is re-signed by the stand-in root so that it ends in 230 days (due: a
 * 200-day certificate issued after day 30 would outlive it), and some certificates under the old key are bulk rows
 * (no DER: OCSP and CRLs read serials and statuses). Real: everything the changeover does, and the certificate issued
 * under the new key through the issuance activities (reserve, lint, precertificate, certificate; CT off).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCrl } from '../../activities/crl';
import { createLintActivities } from '../../activities/lint';
import { createOcspActivities } from '../../activities/ocsp';
import { createSigningActivities } from '../../activities/signing';
import { createStorageActivities } from '../../activities/storage';
import { issuerUrls, loadConfig, type CaConfig } from '../../config';
import { createDb } from '../../db/client';
import { createAccount } from '../../db/repositories/accounts';
import { getCertificateBySerial } from '../../db/repositories/certificates';
import { getIssuer, issuingKeyOf, listIssuers, upsertIssuer } from '../../db/repositories/issuers';
import { applyRevocation, getCrlDer, latestCrlMeta } from '../../db/repositories/revocation';
import { orders } from '../../db/schema';
import { buildIssuingCaTbs, certificateFields, signCertificate } from '../../pki/ca-hierarchy';
import { parseCertificate } from '../../pki/certificate';
import { openHsm, type Hsm } from '../../pki/hsm';
import { readHsmPin } from '../../pki/hsm-pin';
import { buildOcspRequest, certIdIssuerHashes } from '../../pki/ocsp';
import { pemEncode } from '../../pki/pem';
import { openssl } from '../../pki/test-support';
import { signNextKeyWithStandInRoot } from '../../scripts/lib/changeover';
import { eventually } from '../support/ca-harness';
import { freshDatabase } from '../support/database';
import { seedIssuableOrder } from '../support/issuable-order';
import { seedCertificates, type SeededCertificate } from '../support/ocsp-fixtures';
import { startOperatorWorkers, type OperatorWorkers } from '../support/operator-workers';
import { headerOf, uniqueByMessageId } from '../support/smtp-sink';
import { startTimeSkippingServer, type TimeSkippingServer } from '../support/time-skipping';

const DAY = 86_400_000;
const work = mkdtempSync(path.join(tmpdir(), 'changeover-it-'));
const file = (name: string, content: string | Uint8Array) => {
  const p = path.join(work, name);
  writeFileSync(p, content);
  return p;
};

let server: TimeSkippingServer;
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let hsm: Hsm;
let workers: OperatorWorkers;
let config: CaConfig;
let oldDvDer: Uint8Array;
let rootPem: string;
let oldCerts: SeededCertificate[];

beforeAll(async () => {
  server = await startTimeSkippingServer();
  fresh = await freshDatabase({ prefix: 'changeover' });
  const db = fresh.handle.db;
  const base = loadConfig({ ...process.env, CA_CT_SUBMISSION: 'off' });
  config = { ...base, database: { ...base.database, url: fresh.url } };
  hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config.hsm), sessions: 2 });
  // The CA rows of the global setup (their keys are the token's), with a DV certificate that ends in 230 days.
  const main = createDb(base.database.url, { max: 1 });
  try {
    for (const row of await listIssuers(main.db)) await upsertIssuer(db, row, { actor: 'test' });
  } finally {
    await main.close();
  }
  const root = (await getIssuer(db, 'root'))!;
  const dv = (await getIssuer(db, 'dv'))!;
  const now = new Date();
  oldDvDer = await signCertificate(
    buildIssuingCaTbs({
      kind: 'dv',
      issuer: { subjectDer: root.subjectDer, keyIdentifier: root.keyIdentifier },
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 230 * DAY),
      spkiDer: certificateFields(dv.certDer!).spkiDer,
      urls: config.urls.root,
      cpsUrl: config.cps.url,
    }),
    hsm,
    root.keyLabel,
  );
  await upsertIssuer(db, { ...dv, certDer: oldDvDer }, { actor: 'test' });
  rootPem = file('root.pem', pemEncode('CERTIFICATE', root.certDer!));
  // Certificates under the old key; the last of them expires in 20 days.
  oldCerts = await seedCertificates(db, { count: 3, status: 'issued', notAfter: new Date(now.getTime() + 20 * DAY) });
  workers = await startOperatorWorkers({ client: server.client, nativeConnection: server.workerConnection, db, databaseUrl: fresh.url, signer: hsm, keys: hsm, hsm, env: { CA_CT_SUBMISSION: 'off' } });
}, 300_000);

afterAll(async () => {
  await workers?.stop();
  await server?.stop();
  await hsm?.close();
  await fresh?.drop();
});

/**
 * Issues a certificate through the issuance activities (steps 5–10, CT off): reserve, lint, sign — for an order whose
 * records prove what the signer's issuance gate requires (validated, corroborated and CAA-checked names).
 */
async function issueOne(fqdn: string): Promise<{ serial: string; issuerId: string; der: Uint8Array }> {
  const db = fresh.handle.db;
  const { account } = await createAccount(db, { name: 'changeover subscriber' });
  const { orderId } = await seedIssuableOrder(db, { accountId: account.id, names: [fqdn] });
  await db.update(orders).set({ status: 'processing' }).where(eq(orders.id, orderId));
  const storage = createStorageActivities({ db, clock: () => new Date() });
  const lint = createLintActivities({ db, config });
  const signing = createSigningActivities({ db, signer: hsm, config });
  const { serial, issuerId } = await storage.reserveCertificate({ orderId });
  await lint.lintToBeSigned({ orderId, serial, kind: 'precertificate' });
  await signing.signPrecertificate({ orderId, serial });
  await lint.lintToBeSigned({ orderId, serial, kind: 'final' });
  await signing.signFinalCertificate({ orderId, serial });
  return { serial, issuerId, der: (await getCertificateBySerial(db, serial))!.certDer! };
}

describe('CA key changeover (CP 5.6)', () => {
  it('runs from "expiring soon" to issuance under the new key, while the old key still answers OCSP and signs CRLs until its last certificate expired', async () => {
    const db = fresh.handle.db;
    const check = await workers.operator.checkKeyChangeover();
    expect(check.checked.find((c) => c.caId === 'dv')).toMatchObject({ issuerId: 'dv', due: true });
    expect(check.checked.find((c) => c.caId === 'ov')).toMatchObject({ due: false });
    expect(check.changeovers).toEqual([{ caId: 'dv', workflowId: 'key-changeover-dv-2', started: true }]);
    // A second check joins the running changeover.
    expect((await workers.operator.checkKeyChangeover()).changeovers).toEqual([{ caId: 'dv', workflowId: 'key-changeover-dv-2', started: false }]);
    const progress = () => workers.operator.keyChangeoverProgress('dv', 2);

    // The next key is in the HSM, its CSR stored for the external root.
    const awaiting = await eventually(async () => ((await progress()).phase === 'awaiting-certificate' ? progress() : null), 60_000);
    expect(awaiting.nextIssuerId).toBe('dv-k2');
    const next = (await getIssuer(db, 'dv-k2'))!;
    expect(next).toMatchObject({ caId: 'dv', generation: 2, keyLabel: 'dv-g4-k2', certDer: null, activeFrom: null });
    expect(await hsm.privateKeyAttributes('dv-g4-k2')).toMatchObject({ sensitive: true, extractable: false, modulusBits: 2048 });
    const csrText = openssl(['req', '-inform', 'DER', '-in', file('next.csr', next.csrDer!), '-noout', '-verify', '-subject']);
    expect(csrText.out).toMatch(/verify OK|Certificate request self-signature verify OK/);
    expect(csrText.out).toContain('JPRS Domain Validation Authority - G4');

    // Nobody imports for two and a half days: the operators are reminded daily.
    await server.skip(2.5 * 86_400 * 1000);
    expect((await progress()).reminders).toBe(2);
    // Each reminder is e-mailed to the operators through the notices outbox (one Message-ID per notice, RFC 5322).
    const reminders = await eventually(async () => {
      const mails = uniqueByMessageId(workers.sink.messages.filter((m) => headerOf(m.raw, 'X-CA-Notice-Kind') === 'key-changeover-reminder'));
      return mails.length === 2 ? mails : null;
    }, 60_000);
    expect(reminders.flatMap((m) => m.to)).toEqual([workers.config.operator.email, workers.config.operator.email]);

    // A certificate for another key is refused; the workflow keeps waiting.
    await expect(workers.operator.importKeyChangeoverCertificate('dv', 2, { certificateB64: Buffer.from(oldDvDer).toString('base64'), operator: 'alice' })).rejects.toThrow();
    expect((await progress()).phase).toBe('awaiting-certificate');

    // The root signs the CSR (here the stand-in, as `npm run ca -- changeover sign-dev`); the operator imports it.
    const newDvDer = await signNextKeyWithStandInRoot({ db, hsm, config, clock: () => new Date() }, 'dv');
    const switchAt = new Date().toISOString();
    const imported = await workers.operator.importKeyChangeoverCertificate('dv', 2, { certificateB64: Buffer.from(newDvDer).toString('base64'), switchAt, operator: 'alice' });
    expect(imported).toMatchObject({ issuerId: 'dv-k2', switchAt });
    const draining = await eventually(async () => ((await progress()).phase === 'draining' ? progress() : null), 60_000);
    expect(new Date(draining.oldKeyNeededUntil!).getTime()).toBe(oldCerts[0]!.notAfter.getTime());
    expect((await issuingKeyOf(db, 'dv', new Date())).id).toBe('dv-k2');
    // The new key's CRL answered before its first certificate.
    expect((await latestCrlMeta(db, 'dv-k2'))?.verifiedAt).toBeTruthy();

    // Issuance under the new key: its AKI, its own CRL DP, and a chain that verifies to the root through the new CA certificate.
    const leaf = await issueOne(`changeover-${Date.now().toString(36)}.example.jp`);
    expect(leaf.issuerId).toBe('dv-k2');
    const newPem = file('dv-k2.pem', pemEncode('CERTIFICATE', newDvDer));
    const oldPem = file('dv.pem', pemEncode('CERTIFICATE', oldDvDer));
    const leafPem = file('leaf.pem', pemEncode('CERTIFICATE', leaf.der));
    expect(openssl(['verify', '-CAfile', rootPem, '-untrusted', newPem, leafPem]).out).toContain(': OK');
    expect(openssl(['verify', '-CAfile', rootPem, '-untrusted', oldPem, leafPem]).status).not.toBe(0);
    expect(openssl(['x509', '-in', leafPem, '-noout', '-text']).out).toContain(issuerUrls(config, 'dv-k2').crl);
    expect(Buffer.from(parseCertificate(leaf.der).issuer.toSchema().toBER(false))).toEqual(Buffer.from(next.subjectDer));

    // The old key still answers OCSP for its certificates and signs their CRL.
    const ocspActs = createOcspActivities({ db, signer: hsm, keys: hsm, config, clock: () => new Date() });
    await applyRevocation(db, { serial: oldCerts[1]!.serial, reason: 4, at: new Date(), actor: 'test' });
    await ocspActs.signOcspResponses({ serials: [oldCerts[0]!.serial, oldCerts[1]!.serial] });
    const { subjectDer, spkiDer } = certificateFields(oldDvDer);
    const chain = file('old-chain.pem', pemEncode('CERTIFICATE', (await getIssuer(db, 'root'))!.certDer!) + pemEncode('CERTIFICATE', oldDvDer));
    for (const [cert, status] of [[oldCerts[0]!, 'good'], [oldCerts[1]!, 'revoked']] as const) {
      const res = await workers.app.request('/ocsp/dv', { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: buildOcspRequest({ ...certIdIssuerHashes(subjectDer, spkiDer, 'sha1'), serialHex: cert.serial }) as Uint8Array<ArrayBuffer> });
      const out = openssl(['ocsp', '-respin', file(`${cert.serial}.ocsp`, new Uint8Array(await res.arrayBuffer())), '-issuer', oldPem, '-CAfile', chain, '-resp_text']).out;
      expect(out).toContain('Response verify OK');
      expect(out).toMatch(new RegExp(`Cert Status: ${status}`));
    }
    const crl = await generateCrl({ db, signer: hsm, config, clock: () => new Date() }, { issuerId: 'dv', trigger: 'test' });
    const crlOut = openssl(['crl', '-inform', 'DER', '-in', file('dv.crl', (await getCrlDer(db, crl.crlId))!), '-CAfile', chain, '-noout', '-verify', '-text']).out;
    expect(crlOut).toContain('verify OK');
    expect(crlOut).toContain(oldCerts[1]!.serial.toUpperCase());

    // Twenty days later the old key's last certificate has expired: a last CRL, then the key retires.
    const result = await server.whileSkipping(server.client.workflow.getHandle('key-changeover-dv-2').result());
    expect(result).toMatchObject({ phase: 'retired', nextIssuerId: 'dv-k2', reminders: 2 });
    expect((await getIssuer(db, 'dv'))!.retiredAt).toBeTruthy();
    expect((await latestCrlMeta(db, 'dv'))!.trigger).toBe('manual');
    expect(workers.schedulesEnsured()).toBeGreaterThanOrEqual(2);
    expect((await server.client.workflow.getHandle('key-changeover-dv-2').describe()).searchAttributes.CaStatus).toEqual(['key-changeover-retired']);

    // A planned changeover of a CA that is not due (`npm run ca -- changeover start --ca ov`) starts on request.
    const forced = await workers.operator.checkKeyChangeover(['ov']);
    expect(forced.checked.find((c) => c.caId === 'ov')).toMatchObject({ due: false });
    expect(forced.changeovers).toEqual([{ caId: 'ov', workflowId: 'key-changeover-ov-2', started: true }]);
    await eventually(async () => (await workers.operator.keyChangeoverProgress('ov', 2)).phase === 'awaiting-certificate', 60_000);
  }, 240_000);

  it('a CA’s first key whose certificate comes later (production path, `npm run ca -- import`) issues from then on', async () => {
    const db = fresh.handle.db;
    const ov = (await getIssuer(db, 'ov'))!;
    // A CA awaiting the external root: its key and CSR, no certificate yet (as `npm run ca -- init` stores it in production).
    await upsertIssuer(db, { id: 'prod', keyLabel: ov.keyLabel, subjectDer: ov.subjectDer, spkiSha256: ov.spkiSha256, keyIdentifier: ov.keyIdentifier, certDer: null, csrDer: Uint8Array.of(0x30, 0x00), parentId: null });
    await expect(issuingKeyOf(db, 'prod', new Date())).rejects.toThrow(/no key in use/);
    // What importIssuingCaCertificate stores: the row as read, with its certificate.
    await upsertIssuer(db, { ...(await getIssuer(db, 'prod'))!, certDer: ov.certDer, parentId: 'root' });
    expect((await issuingKeyOf(db, 'prod', new Date())).id).toBe('prod');
  });
});
