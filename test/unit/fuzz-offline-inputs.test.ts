/**
 * Fuzzing of the untrusted inputs without an HTTP door (test/support/der-fuzz.ts): CT log answers and SCT lists,
 * the CA certificate an operator imports (the external root's answer), and blocklist files. Property: the input is
 * read, or refused with a CaError of the kinds the reader documents — never another error (which a worker or the
 * CLI would report as a crash) — so nothing is stored from it.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBlocklist } from '../../db/repositories/blocklist';
import { CaError, type FailureKind } from '../../domain/errors';
import { checkImportedCaCertificate } from '../../pki/ca-hierarchy';
import { InMemorySigner } from '../../pki/memory-signer';
import { pemEncode } from '../../pki/pem';
import {
  decodeSctListExtensionValue,
  logIdOf,
  precertSignedData,
  sctFromAddChainResponse,
  sctListExtensionValue,
  sctToAddChainResponse,
  verifyPrecertSct,
  type Sct,
} from '../../pki/sct';
import { signTestHierarchy } from '../../pki/test-support';
import { FUZZ_CASES, fuzz, malformedDer } from '../support/der-fuzz';

let ca: Awaited<ReturnType<typeof signTestHierarchy>>;
const log = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const logSpki = new Uint8Array(log.publicKey.export({ type: 'spki', format: 'der' }));
const tbsDer = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01);
let sct: Sct;

beforeAll(async () => {
  ca = await signTestHierarchy(new InMemorySigner(), {
    notBefore: new Date(Date.now() - 86_400_000),
    rootNotAfter: new Date(Date.now() + 20 * 365 * 86_400_000),
    dvNotAfter: new Date(Date.now() + 10 * 365 * 86_400_000),
  });
  const timestamp = Date.now();
  const data = precertSignedData({ timestamp, issuerSpkiDer: ca.dvSpki, tbsDer, extensions: new Uint8Array(0) });
  sct = { version: 0, logId: logIdOf(logSpki), timestamp, extensions: new Uint8Array(0), hashAlgorithm: 4, signatureAlgorithm: 3, signature: new Uint8Array(sign('sha256', data, log.privateKey)) };
});

/** Runs `read`; a CaError of one of `kinds` is a refusal, anything else thrown fails the property. */
async function readsOrRefuses(read: () => unknown, kinds: readonly FailureKind[]): Promise<void> {
  try {
    await read();
  } catch (e) {
    if (!(e instanceof CaError) || !kinds.includes(e.kind)) throw e;
  }
}

describe('fuzz: inputs without an HTTP door', { timeout: 60_000 }, () => {
  it('CT add-pre-chain answers (RFC 6962 4.1): read or malformed; a mutated SCT never verifies', async () => {
    const answer = sctToAddChainResponse(sct);
    const signatureBytes = new Uint8Array(Buffer.from(answer.signature as string, 'base64'));
    // The DigitallySigned (hash, signature algorithm, u16 length, DER ECDSA-Sig-Value) mutated, or the JSON itself.
    const mutated = fc.oneof(
      malformedDer([signatureBytes.subarray(4)]).map((sig) => ({ ...answer, signature: Buffer.concat([signatureBytes.subarray(0, 2), Buffer.from([sig.length >> 8 & 0xff, sig.length & 0xff]), sig]).toString('base64') })),
      fc.uint8Array({ maxLength: 120 }).map((b) => ({ ...answer, signature: Buffer.from(b).toString('base64') })),
      fc.record({ sct_version: fc.anything(), id: fc.oneof(fc.string(), fc.constant(answer.id)), timestamp: fc.anything(), signature: fc.string(), extensions: fc.anything() }),
      fc.anything(),
    );
    const cases = await fuzz('CT add-pre-chain answer', mutated, async (json) => {
      let read: Sct | null = null;
      await readsOrRefuses(() => (read = sctFromAddChainResponse(json)), ['malformed']);
      if (read && (read as Sct).signature.length !== sct.signature.length) {
        expect(verifyPrecertSct(read, { logSpkiDer: logSpki, issuerSpkiDer: ca.dvSpki, tbsDer }).ok).toBe(false);
      }
    });
    expect(cases).toBeGreaterThanOrEqual(FUZZ_CASES);
  });

  it('SCT list extension values (RFC 6962 3.3): read or malformed', async () => {
    const cases = await fuzz('SCT list extension', malformedDer([sctListExtensionValue([sct, sct])]), (value) =>
      readsOrRefuses(() => decodeSctListExtensionValue(value), ['malformed']),
    );
    expect(cases).toBeGreaterThanOrEqual(FUZZ_CASES);
  });

  it('the CA certificate an operator imports (npm run ca -- import): accepted only as issued, else a refusal', async () => {
    const cases = await fuzz('imported CA certificate', malformedDer([ca.dvDer]), (der) =>
      readsOrRefuses(() => checkImportedCaCertificate(der, ca.dvSubjectDer, ca.dvSpki, { issuerCertDer: ca.rootDer }), ['malformed', 'conflict', 'unsupportedProfile']),
    );
    expect(cases).toBeGreaterThanOrEqual(FUZZ_CASES);
  });

  it('blocklist files (npm run admin -- blocklist import): PEM blocks that do not decode are malformed', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const samples: Array<[string, Uint8Array]> = [
      ['CERTIFICATE', ca.dvDer],
      ['PUBLIC KEY', new Uint8Array(rsa.export({ type: 'spki', format: 'der' }))],
      ['RSA PUBLIC KEY', new Uint8Array(rsa.export({ type: 'pkcs1', format: 'der' }))],
    ];
    const files = fc
      .tuple(fc.integer({ min: 0, max: samples.length - 1 }), fc.nat())
      .chain(([i]) => malformedDer([samples[i]![1]]).map((der) => `# weak keys\n${pemEncode(samples[i]![0], der)}`));
    const cases = await fuzz('blocklist file', files, (text) => readsOrRefuses(() => parseBlocklist(text), ['malformed']));
    expect(cases).toBeGreaterThanOrEqual(FUZZ_CASES);
  });
});
