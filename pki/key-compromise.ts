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
import { parseCsr, verifyCsrSignature, type CsrPublicKey } from './csr';
import { bytesEqual, parseDer, readUntrusted, readUntrustedAsync } from './der';
import { pemDecode } from './pem';

/** The statement the API signs with a submitted private key; it names the report so it cannot be replayed. */
export function keyCompromiseStatement(reportId: string): string {
  return `This key is compromised. Key-compromise report ${reportId} (CP 4.9.12).`;
}

/** Ed25519/Ed448 sign the message itself (no separate hash); the others use SHA-256. */
const digestFor = (key: KeyObject): string | null => (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256');

/**
 * The keys a proof may be made with, and their cost bound: the reporter chooses the key, so its size is what keeps
 * one report from occupying the process (an RSA private operation grows with the cube of the modulus, a public one
 * with the exponent's length too). This CA only ever certified RSA 2048 keys (CP 6.1.5), so 4096 bits is ample.
 */
export const MAX_PROOF_RSA_BITS = 4096;
const MAX_PROOF_RSA_EXPONENT = (1n << 256n) - 1n; // BR 6.1.6's upper bound
const proofCurves = ['prime256v1', 'secp384r1', 'secp521r1'];
const proofRule = 'CP 4.9.12';

function refuseProofKey(reason: string): never {
  throw new CaError('badPublicKey', `${reason}: a key-compromise proof is a signature by an RSA (up to ${MAX_PROOF_RSA_BITS} bits), ECDSA P-256/384/521 or Ed25519/Ed448 key`, { rule: proofRule });
}

function checkRsaCost(bits: number, exponent: bigint): void {
  if (bits > MAX_PROOF_RSA_BITS) refuseProofKey(`the RSA key has ${bits} bits`);
  if (exponent > MAX_PROOF_RSA_EXPONENT) refuseProofKey('the RSA public exponent is larger than 2^256-1');
}

/** Only signing keys of bounded cost (above); X25519, X448, DH and DSA keys are refused as a 400, never a 500. */
function checkProofKey(key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') checkRsaCost(details.modulusLength ?? 0, details.publicExponent ?? 0n);
  else if (type === 'ec') {
    if (!proofCurves.includes(details.namedCurve ?? '')) refuseProofKey(`the EC curve ${details.namedCurve ?? '(explicit parameters)'} is not accepted`);
  } else if (type !== 'ed25519' && type !== 'ed448') refuseProofKey(`a ${type ?? 'unknown'} key does not make the signatures this CA checks`);
}

/** The cost bound for a CSR's key, read before its signature is verified. */
function checkCsrProofKey(key: CsrPublicKey): void {
  if (key.kind === 'rsa') checkRsaCost(key.bits, key.exponent);
}

/** Private key PEM labels (RFC 7468 §10 PKCS#8, RFC 8017 PKCS#1, RFC 5915 SEC 1) and their DER types. */
const privateKeyTypes = { 'PRIVATE KEY': 'pkcs8', 'RSA PRIVATE KEY': 'pkcs1', 'EC PRIVATE KEY': 'sec1' } as const;
type PrivateKeyLabel = keyof typeof privateKeyTypes;

/** crypto.sign on libuv's thread pool (the callback form): a large key never blocks the event loop. */
function signOffLoop(digest: string | null, data: Uint8Array, key: KeyObject): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    cryptoSign(digest, data, key, (err, signature) => (err ? reject(err) : resolve(new Uint8Array(signature))));
  });
}

function verifyOffLoop(digest: string | null, data: Uint8Array, key: KeyObject, signature: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    cryptoVerify(digest, data, key, signature, (err, ok) => resolve(!err && ok));
  });
}

/**
 * Reads a private key PEM (PKCS#8, PKCS#1 RSA, SEC 1 EC) — untrusted, through the guarded DER reader — and returns
 * its SPKI and the signed statement. Encrypted keys are refused: we will not ask for the passphrase too.
 */
export async function proofFromPrivateKey(pem: string, reportId: string): Promise<{ spkiDer: Uint8Array; statement: Uint8Array; signature: Uint8Array }> {
  if (/ENCRYPTED/.test(pem)) throw new CaError('malformed', 'send the private key unencrypted (PEM); it is used once and never stored');
  const block = readUntrusted('private key', () => pemDecode(pem, Object.keys(privateKeyTypes)));
  parseDer(block.der, 'private key');
  const key = readUntrusted('private key', () =>
    createPrivateKey({ key: Buffer.from(block.der), format: 'der', type: privateKeyTypes[block.label as PrivateKeyLabel] }),
  );
  checkProofKey(key);
  const spkiDer = readUntrusted('private key', () => new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' })));
  const statement = new TextEncoder().encode(keyCompromiseStatement(reportId));
  // A key that loads may still be inconsistent (its primes are not its modulus's): then signing fails, a bad key.
  const signature = await readUntrustedAsync('private key', () => signOffLoop(digestFor(key), statement, key));
  return { spkiDer, statement, signature };
}

/**
 * Checks a CSR offered as proof before the report is accepted: it parses, its key is of bounded cost, its signature
 * verifies with its own key (that is the proof of control), and its CN states the compromise. Returns the SPKI.
 */
export async function proofFromCsr(csrInput: Uint8Array | string): Promise<{ spkiDer: Uint8Array; csrDer: Uint8Array }> {
  const csr = parseCsr(csrInput);
  checkCsrProofKey(csr.publicKey);
  if (!(await verifyCsrSignature(csr))) {
    throw new CaError('badCsr', 'the CSR signature does not verify with its own key, so it proves nothing', { rule: proofRule });
  }
  if (!statesKeyCompromise(csr.commonNames[0])) {
    throw new CaError('badCsr', 'the CSR subject CN must state that the key is compromised, e.g. CN=This key is compromised', { rule: proofRule });
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
  const ok = await verifyOffLoop(digestFor(key), report.proof, key, report.proofSignature);
  return ok ? { ok: true } : { ok: false, reason: 'the statement signature does not verify with the reported key' };
}
