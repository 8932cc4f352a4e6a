/**
 * The HSM path on a real SoftHSM2 token: key generation attributes (CP 6.1.1, 6.2), signing a full chain that
 * OpenSSL verifies, concurrent signing over the session pool, the CA CSR, and the stored hierarchy that
 * ensureCaHierarchy made (idempotent on re-run).
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, repoRoot, type CaConfig } from '../../config';
import { createDb, type DbHandle } from '../../db/client';
import { listIssuers } from '../../db/repositories/issuers';
import { buildCaCsr, buildIssuingCaTbs, buildStandInRootTbs, certificateFields, issuingCaSubject } from '../../pki/ca-hierarchy';
import { buildLeafTbs, keyIdentifierOf, signCertificate } from '../../pki/certificate';
import { openHsm, type Hsm } from '../../pki/hsm';
import { nameToDer } from '../../pki/names';
import { pemEncode } from '../../pki/pem';
import { caKeyLabels, ensureCaHierarchy } from '../../scripts/lib/ca-hierarchy';
import { ensureSoftHsmToken } from '../../scripts/lib/softhsm';

process.env.CA_DATA_DIR ??= path.join(repoRoot, '.data-test');

// Test-only key labels, reused across runs (created once per token), distinct from the CA's own keys.
const ROOT = 'itest-root';
const DV = 'itest-dv';

let config: CaConfig;
let hsm: Hsm;
let dir: string;

function openssl(args: string[], input?: Uint8Array): string {
  const r = spawnSync('openssl', args, { input, encoding: 'buffer' });
  return Buffer.concat([r.stdout, r.stderr]).toString('utf8');
}

function pemFile(name: string, der: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, pemEncode('CERTIFICATE', der));
  return file;
}

beforeAll(async () => {
  config = loadConfig();
  const token = await ensureSoftHsmToken(config);
  hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: token.pin, sessions: 4 });
  for (const label of [ROOT, DV]) if (!(await hsm.hasKeyPair(label))) await hsm.generateRsaKeyPair(label);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsm-itest-'));
});

afterAll(async () => {
  await hsm?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('key generation in the HSM (CP 6.1.1, 6.1.5)', () => {
  it('the private key is a token object, private, sensitive, never extractable, can sign; RSA-2048', async () => {
    expect(await hsm.privateKeyAttributes(ROOT)).toEqual({
      token: true,
      private: true,
      sensitive: true,
      extractable: false,
      alwaysSensitive: true,
      neverExtractable: true,
      sign: true,
      modulusBits: 2048,
    });
  });

  it('the public key is RSA 2048 with exponent 65537 (read by OpenSSL from the SPKI we build)', async () => {
    const spki = await hsm.publicKeySpki(ROOT);
    const out = openssl(['pkey', '-pubin', '-inform', 'DER', '-noout', '-text'], spki);
    expect(out).toContain('Public-Key: (2048 bit)');
    expect(out).toContain('Exponent: 65537 (0x10001)');
  });

  it('refuses to generate a second key pair under an existing label', async () => {
    await expect(hsm.generateRsaKeyPair(ROOT)).rejects.toThrow(/already exists/);
  });

  it('a second openHsm in the same process shares the module and sees the same keys', async () => {
    const second = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: process.env.HSM_PIN ?? (await ensureSoftHsmToken(config)).pin, sessions: 1 });
    try {
      expect(Buffer.from(await second.publicKeySpki(ROOT)).equals(Buffer.from(await hsm.publicKeySpki(ROOT)))).toBe(true);
    } finally {
      await second.close();
    }
    // closing the second one leaves the first usable
    expect((await hsm.signSha256Rsa(ROOT, new Uint8Array([1, 2, 3]))).length).toBe(256);
  });
});

describe('a chain signed in the HSM verifies with OpenSSL', () => {
  let rootDer: Uint8Array;
  let dvDer: Uint8Array;
  let leafDer: Uint8Array;

  beforeAll(async () => {
    const rootSpki = await hsm.publicKeySpki(ROOT);
    const rootTbs = buildStandInRootTbs({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 20 * 365 * 86_400_000), spkiDer: rootSpki });
    rootDer = await signCertificate(rootTbs, hsm, ROOT);
    const dvSpki = await hsm.publicKeySpki(DV);
    const dvTbs = buildIssuingCaTbs({
      kind: 'dv',
      issuer: { subjectDer: nameToDer(rootTbs.subject), keyIdentifier: keyIdentifierOf(rootSpki) },
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 10 * 365 * 86_400_000),
      spkiDer: dvSpki,
      urls: config.urls.root,
      cpsUrl: config.cps.url,
    });
    dvDer = await signCertificate(dvTbs, hsm, ROOT);
    const subscriber = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }));
    leafDer = await signCertificate(
      buildLeafTbs({
        serialHex: 'c0ffee' + '00'.repeat(13),
        issuer: { subjectDer: nameToDer(dvTbs.subject), keyIdentifier: keyIdentifierOf(dvSpki) },
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 90 * 86_400_000),
        dnsNames: ['www.example.jp'],
        commonName: 'www.example.jp',
        spkiDer: subscriber,
        profile: 'dv',
        urls: config.urls.dv,
        cps: config.cps,
        includeSubjectKeyIdentifier: true,
        kind: 'final',
      }),
      hsm,
      DV,
    );
  });

  it('openssl verify -CAfile root -untrusted dv leaf: OK', () => {
    const out = openssl(['verify', '-purpose', 'sslserver', '-CAfile', pemFile('root.pem', rootDer), '-untrusted', pemFile('dv.pem', dvDer), pemFile('leaf.pem', leafDer)]);
    expect(out).toContain('leaf.pem: OK');
  });

  it('50 concurrent signatures over 4 sessions all verify (no CKR_OPERATION_ACTIVE)', async () => {
    const pub = await hsm.publicKeySpki(DV);
    const pubFile = path.join(dir, 'dv-pub.der');
    fs.writeFileSync(pubFile, pub);
    const { createPublicKey, verify } = await import('node:crypto');
    const key = createPublicKey({ key: Buffer.from(pub), format: 'der', type: 'spki' });
    const messages = Array.from({ length: 50 }, (_, i) => Buffer.from(`message ${i}`));
    const sigs = await Promise.all(messages.map((m) => hsm.signSha256Rsa(DV, m)));
    expect(sigs.map((s, i) => verify('sha256', messages[i]!, key, s))).toEqual(messages.map(() => true));
    // one of them through OpenSSL as well
    fs.writeFileSync(path.join(dir, 'm0'), messages[0]!);
    fs.writeFileSync(path.join(dir, 'm0.sig'), sigs[0]!);
    expect(openssl(['dgst', '-sha256', '-verify', pubFile, '-keyform', 'DER', '-signature', path.join(dir, 'm0.sig'), path.join(dir, 'm0')])).toContain('Verified OK');
  });

  it('the issuing CA CSR signed in the HSM verifies with openssl req -verify', async () => {
    const csr = await buildCaCsr(issuingCaSubject('dv'), await hsm.publicKeySpki(DV), hsm, DV);
    const out = openssl(['req', '-inform', 'DER', '-noout', '-verify', '-subject'], csr);
    expect(out).toContain('verify OK');
    expect(out).toContain('CN = JPRS Domain Validation Authority - G4');
  });
});

describe.skipIf(!process.env.DATABASE_URL)('ensureCaHierarchy (database from the global setup)', () => {
  let handle: DbHandle;
  beforeAll(() => {
    handle = createDb(config.database.url, { max: 2 });
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('stores root, dv and ov; the stored chain verifies with OpenSSL; re-running keeps the rows', async () => {
    await ensureCaHierarchy({ config, db: handle.db, hsm });
    const before = await listIssuers(handle.db);
    expect(before.map((r) => [r.id, r.keyLabel])).toEqual([
      ['dv', caKeyLabels.dv],
      ['ov', caKeyLabels.ov],
      ['root', caKeyLabels.root],
    ]);
    await ensureCaHierarchy({ config, db: handle.db, hsm });
    const after = await listIssuers(handle.db);
    expect(after.map((r) => Buffer.from(r.certDer!).toString('hex'))).toEqual(before.map((r) => Buffer.from(r.certDer!).toString('hex')));

    const byId = Object.fromEntries(after.map((r) => [r.id, r]));
    for (const id of ['dv', 'ov'] as const) {
      const row = byId[id]!;
      expect(Buffer.from(certificateFields(row.certDer!).subjectDer).equals(Buffer.from(row.subjectDer))).toBe(true);
      expect(Buffer.from(row.keyIdentifier).equals(Buffer.from(keyIdentifierOf(await hsm.publicKeySpki(row.keyLabel))))).toBe(true);
      const out = openssl(['verify', '-CAfile', pemFile('stored-root.pem', byId.root!.certDer!), pemFile(`stored-${id}.pem`, row.certDer!)]);
      expect(out).toContain(`stored-${id}.pem: OK`);
    }
  });
});
