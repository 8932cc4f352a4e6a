/**
 * Proofs of key compromise (CP 4.9.12; BR 4.9.12): the reporter shows control of the private key, either by
 * handing it over or by a CSR signed with it whose CN says the key is compromised.
 *
 * The private key is never stored, logged or put in a workflow payload (Temporal histories are durable): the API
 * turns it at once into a proof that does not contain it — a statement naming the report, signed with the key —
 * and drops it. The workflow then verifies either proof the same way: a signature by the reported key.
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { CaError } from '../domain/errors';
import { statesKeyCompromise } from '../domain/revocation';
import { parseCsr, verifyCsrSignature } from './csr';
import { bytesEqual } from './der';

/** The statement the API signs with a submitted private key; it names the report so it cannot be replayed. */
export function keyCompromiseStatement(reportId: string): string {
  return `This key is compromised. Key-compromise report ${reportId} (CP 4.9.12).`;
}

/** Ed25519/Ed448 sign the message itself (no separate hash); the others use SHA-256. */
const digestFor = (key: KeyObject): string | null => (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256');

/**
 * Reads a private key PEM (PKCS#8, PKCS#1 RSA, SEC 1 EC) and returns its SPKI and the signed statement.
 * Encrypted keys are refused: we will not ask for the passphrase too.
 */
export function proofFromPrivateKey(pem: string, reportId: string): { spkiDer: Uint8Array; statement: Uint8Array; signature: Uint8Array } {
  if (/ENCRYPTED/.test(pem)) throw new CaError('malformed', 'send the private key unencrypted (PEM); it is used once and never stored');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new CaError('malformed', 'the private key is not a PEM private key (PKCS#8, PKCS#1 or SEC 1)');
  }
  const spkiDer = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const statement = new TextEncoder().encode(keyCompromiseStatement(reportId));
  const signature = new Uint8Array(cryptoSign(digestFor(key), statement, key));
  return { spkiDer, statement, signature };
}

/**
 * Checks a CSR offered as proof before the report is accepted: it parses, its signature verifies with its own key
 * (that is the proof of control), and its CN states the compromise. Returns the SPKI of the key.
 */
export async function proofFromCsr(csrInput: Uint8Array | string): Promise<{ spkiDer: Uint8Array; csrDer: Uint8Array }> {
  const csr = parseCsr(csrInput);
  if (!(await verifyCsrSignature(csr))) {
    throw new CaError('badCsr', 'the CSR signature does not verify with its own key, so it proves nothing', { rule: 'CP 4.9.12' });
  }
  if (!statesKeyCompromise(csr.commonNames[0])) {
    throw new CaError('badCsr', 'the CSR subject CN must state that the key is compromised, e.g. CN=This key is compromised', { rule: 'CP 4.9.12' });
  }
  return { spkiDer: csr.spkiDer, csrDer: csr.der };
}

export type ProofVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Verifies a stored proof against the reported SPKI (what the keyCompromise workflow's first step runs). */
export async function verifyStoredProof(report: {
  readonly id: string;
  readonly spkiDer: Uint8Array;
  readonly proofKind: 'privateKey' | 'csr';
  readonly proof: Uint8Array;
  readonly proofSignature: Uint8Array | null;
}): Promise<ProofVerdict> {
  if (report.proofKind === 'csr') {
    try {
      const { spkiDer } = await proofFromCsr(report.proof);
      if (!bytesEqual(spkiDer, report.spkiDer)) return { ok: false, reason: 'the CSR carries another key than the one reported' };
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }
  if (!report.proofSignature) return { ok: false, reason: 'no signature over the statement' };
  const expected = keyCompromiseStatement(report.id);
  if (new TextDecoder().decode(report.proof) !== expected) return { ok: false, reason: 'the signed statement does not name this report' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(report.spkiDer), format: 'der', type: 'spki' });
  } catch {
    return { ok: false, reason: 'the reported public key does not parse' };
  }
  const ok = cryptoVerify(digestFor(key), report.proof, key, report.proofSignature);
  return ok ? { ok: true } : { ok: false, reason: 'the statement signature does not verify with the reported key' };
}
