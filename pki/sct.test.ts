import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLeafTbs, parseCertificate, signCertificate, tbsWithoutCtExtensions, type LeafParams } from './certificate';
import { InMemorySigner } from './memory-signer';
import {
  decodeSctList,
  decodeSctListExtensionValue,
  encodeSct,
  encodeSctList,
  logIdOf,
  precertSignedData,
  sctFromAddChainResponse,
  sctListExtensionValue,
  sctToAddChainResponse,
  verifyPrecertSct,
  type Sct,
} from './sct';
import { opensslOk, signTestHierarchy } from './test-support';

const signer = new InMemorySigner();
let dvDer: Uint8Array;
let dvSpki: Uint8Array;
let leaf: (kind: 'precertificate' | 'final', ext?: Uint8Array) => LeafParams;
let precertDer: Uint8Array;

function logKey(): { key: KeyObject; spki: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { key: privateKey, spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })) };
}

/** What a log does (RFC 6962 3.2): sign the precert_entry with its key. */
function logSigns(log: { key: KeyObject; spki: Uint8Array }, timestamp: number, tbsDer: Uint8Array, issuerSpkiDer = dvSpki): Sct {
  const extensions = new Uint8Array(0);
  const data = precertSignedData({ timestamp, issuerSpkiDer, tbsDer, extensions });
  return {
    version: 0,
    logId: logIdOf(log.spki),
    timestamp,
    extensions,
    hashAlgorithm: 4,
    signatureAlgorithm: 3,
    signature: new Uint8Array(sign('sha256', data, log.key)),
  };
}

beforeAll(async () => {
  const ca = await signTestHierarchy(signer, {
    notBefore: new Date('2026-01-01T00:00:00Z'),
    rootNotAfter: new Date('2046-01-01T00:00:00Z'),
    dvNotAfter: new Date('2036-01-01T00:00:00Z'),
  });
  ({ dvDer, dvSpki } = ca);
  const subscriber = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }));
  leaf = (kind, ext) => ({
    serialHex: '4a' + '22'.repeat(17),
    issuer: { subjectDer: ca.dvSubjectDer, keyIdentifier: ca.dvKeyId },
    notBefore: new Date('2026-11-26T00:00:00Z'),
    notAfter: new Date('2027-06-13T23:59:59Z'),
    dnsNames: ['www.example.jp'],
    commonName: 'www.example.jp',
    spkiDer: subscriber,
    profile: 'dv',
    urls: { crl: 'http://ca.example.jp/repository/crl/dv.crl', ocsp: 'http://ca.example.jp/ocsp/dv', caIssuers: 'http://ca.example.jp/repository/ca/dv.cer' },
    cps: { url: 'http://jprs.jp/pubcert/info/repository/', qualifier: true },
    includeSubjectKeyIdentifier: true,
    kind,
    ...(ext ? { sctListExtensionValue: ext } : {}),
  });
  precertDer = await signCertificate(buildLeafTbs(leaf('precertificate')), signer, 'dv');
});

describe('RFC 6962 3.2/3.3 TLS encodings', () => {
  it('an SCT list round-trips and has the RFC 6962 3.3 lengths (u16 total, u16 per SCT)', () => {
    const a = logKey();
    const b = logKey();
    const tbs = tbsWithoutCtExtensions(precertDer);
    const scts = [logSigns(a, 1_795_000_000_000, tbs), logSigns(b, 1_795_000_000_123, tbs)];
    const list = encodeSctList(scts);
    const one = encodeSct(scts[0]!);
    // version(1) + logID(32) + timestamp(8) + extLen(2) + hash/sig alg(2) + sigLen(2) + sig
    expect(one.length).toBe(47 + scts[0]!.signature.length);
    expect((list[0]! << 8) | list[1]!).toBe(list.length - 2);
    expect((list[2]! << 8) | list[3]!).toBe(one.length);
    expect(decodeSctList(list)).toEqual(scts);
    expect(decodeSctListExtensionValue(sctListExtensionValue(scts))).toEqual(scts);
  });

  it('an add-pre-chain JSON answer (RFC 6962 4.1) is read back to the same SCT', () => {
    const s = logSigns(logKey(), 1_795_000_000_000, tbsWithoutCtExtensions(precertDer));
    expect(sctFromAddChainResponse(JSON.parse(JSON.stringify(sctToAddChainResponse(s))))).toEqual(s);
  });

  it.each([
    ['not an object', 'nope'],
    ['a short log id', { sct_version: 0, id: 'AAAA', timestamp: 1, signature: 'BAMAAA==' }],
    ['no signature', { sct_version: 0, id: Buffer.alloc(32).toString('base64'), timestamp: 1 }],
  ])('refuses an add-pre-chain answer with %s', (_n, json) => {
    expect(() => sctFromAddChainResponse(json)).toThrow();
  });
});

describe('SCT signature verification (RFC 6962 3.2 precert_entry)', () => {
  it('accepts the log’s signature and refuses every altered input', () => {
    const log = logKey();
    const other = logKey();
    const tbs = tbsWithoutCtExtensions(precertDer);
    const sct = logSigns(log, 1_795_000_000_000, tbs);
    const params = { logSpkiDer: log.spki, issuerSpkiDer: dvSpki, tbsDer: tbs };
    expect(verifyPrecertSct(sct, params)).toEqual({ ok: true });
    const cases: Array<[string, Sct, typeof params]> = [
      ['another log’s key', sct, { ...params, logSpkiDer: other.spki }],
      ['another timestamp', { ...sct, timestamp: sct.timestamp + 1 }, params],
      ['another TBS', sct, { ...params, tbsDer: tbs.slice(0, -1) }],
      ['another issuer key', sct, { ...params, issuerSpkiDer: new Uint8Array(dvSpki.length) }],
      ['a signature by another key with the right log id', { ...logSigns(other, sct.timestamp, tbs), logId: sct.logId }, params],
      ['an SCT version other than v1', { ...sct, version: 1 }, params],
    ];
    for (const [name, s, p] of cases) expect(verifyPrecertSct(s, p).ok, name).toBe(false);
  });

  it('an embedded SCT list is shown by OpenSSL and verified by pkijs (an independent implementation)', async () => {
    const a = logKey();
    const b = logKey();
    const tbs = tbsWithoutCtExtensions(precertDer);
    const scts = [logSigns(a, 1_795_000_000_000, tbs), logSigns(b, 1_795_000_000_500, tbs)];
    const finalDer = await signCertificate(buildLeafTbs(leaf('final', sctListExtensionValue(scts))), signer, 'dv');
    const text = opensslOk(['x509', '-inform', 'DER', '-noout', '-text'], finalDer);
    expect(text).toContain('CT Precertificate SCTs');
    expect(text.match(/Signed Certificate Timestamp:/g)).toHaveLength(2);
    expect(text).toContain(Buffer.from(scts[0]!.logId).toString('hex').toUpperCase().match(/../g)!.slice(0, 16).join(':'));
    expect(text).toContain('ecdsa-with-SHA256');
    const logs = [a, b].map((l) => ({ log_id: Buffer.from(logIdOf(l.spki)).toString('base64'), key: Buffer.from(l.spki).toString('base64') }));
    const verified = await pkijs.verifySCTsForCertificate(parseCertificate(finalDer), parseCertificate(dvDer), logs);
    expect(verified).toEqual([true, true]);
    // And pkijs refuses when the log key is not the one that signed.
    const wrong = [{ log_id: logs[0]!.log_id, key: logs[1]!.key }];
    expect(await pkijs.verifySCTsForCertificate(parseCertificate(finalDer), parseCertificate(dvDer), wrong, 0)).toEqual([false]);
  });
});
