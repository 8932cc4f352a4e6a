/**
 * `npm run ca -- key-ceremony --ca dv --operator <name> --witness <name> …` (CP 5.6, 6.1.1): generates a CA's next
 * key in the HSM before witnesses — the same function the changeover workflow's activity calls, so the workflow then
 * finds and uses this key — and prints a transcript for them to sign: who, when, the key label, the public key hash,
 * the CSR hash, what the token says about itself and the key, and its attestation where the HSM gives one (SoftHSM2
 * gives none: the transcript says so). The transcript's SHA-256 and its facts go into the audit log.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import { appendAudit } from '../../db/repositories/audit';
import { prepareNextIssuerKey } from '../../activities/key-changeover';
import { toHex } from '../../pki/der';
import type { Hsm } from '../../pki/hsm';
import { nameFromDer, nameToString } from '../../pki/names';
import { sha256Hex } from './archive-format';

const colons = (hex: string) => hex.match(/../g)!.join(':');

export interface CeremonyOptions {
  readonly caId: string;
  readonly operator: string;
  readonly witnesses: readonly string[];
  readonly generation?: number;
}

export async function keyCeremony(deps: { db: Db; hsm: Hsm; clock: () => Date }, o: CeremonyOptions): Promise<{ transcript: string; issuerId: string; sha256: string }> {
  if (o.witnesses.length === 0) throw new Error('a key ceremony has at least one witness (--witness <name>)');
  const at = deps.clock();
  const { issuer, generatedNow } = await prepareNextIssuerKey({ ...deps, actor: `operator:${o.operator}` }, { caId: o.caId, ...(o.generation ? { generation: o.generation } : {}) });
  const token = deps.hsm.tokenInfo();
  const a = await deps.hsm.privateKeyAttributes(issuer.keyLabel);
  const flags = [a.token && 'token', a.private && 'private', a.sensitive && 'sensitive', !a.extractable && 'not extractable', a.alwaysSensitive && 'always sensitive', a.neverExtractable && 'never extractable', a.sign && 'sign'].filter(Boolean).join(', ');
  // PKCS#11 defines no key attestation; vendors that have one expose it by their own means, which this software does not read.
  const attestation = /softhsm/i.test(`${token.manufacturer} ${token.model} ${token.library}`)
    ? 'none — SoftHSM2 gives no key attestation. The attributes above are the token’s own answers over PKCS#11, not a signed statement.'
    : 'not retrieved — PKCS#11 defines no attestation; obtain the vendor’s key attestation for this label and attach it to this transcript.';
  const body = [
    'CA KEY GENERATION CEREMONY — TRANSCRIPT',
    'CP 5.6 (CA key changeover), CP 6.1.1 (CA keys are generated in the HSM and never leave it)',
    '',
    `Ceremony id:    ${randomUUID()}`,
    `Date and time:  ${at.toISOString()} (UTC)`,
    `CA:             ${o.caId} — ${nameToString(nameFromDer(issuer.subjectDer))}`,
    `Key:            ${issuer.id} (generation ${issuer.generation}), PKCS#11 label "${issuer.keyLabel}"`,
    `Generated:      ${generatedNow ? 'in this ceremony' : 'before this ceremony (the token already held this label; nothing was generated now)'}`,
    `Operator:       ${o.operator}`,
    `Witnesses:      ${o.witnesses.join(', ')}`,
    '',
    'HSM',
    `  Library:      ${token.library}`,
    `  Token:        label ${token.label}; manufacturer ${token.manufacturer}; model ${token.model}; serial ${token.serialNumber}; hardware ${token.hardwareVersion}; firmware ${token.firmwareVersion}`,
    `  Key:          RSA ${a.modulusBits}; ${flags}`,
    `  Attestation:  ${attestation}`,
    '',
    'Public key',
    `  SHA-256 of the SubjectPublicKeyInfo:  ${colons(toHex(issuer.spkiSha256))}`,
    `  Key identifier (SHA-1, RFC 5280 4.2.1.2 (1)):  ${colons(toHex(issuer.keyIdentifier))}`,
    'CSR for the external root',
    `  SHA-256 of the CSR (DER):  ${colons(sha256Hex(issuer.csrDer!))}`,
    `  Export:  npm run ca -- changeover csr --ca ${o.caId}`,
    '',
  ].join('\n');
  const sha256 = sha256Hex(body);
  const signatures = [o.operator, ...o.witnesses].map((n, i) => `  ${i === 0 ? 'Operator' : 'Witness '}  ${n.padEnd(20)}  signature ______________________  date __________`);
  const transcript = [body, `Transcript SHA-256 (of the text above; recorded in the audit log, event ca.key_ceremony): ${sha256}`, '', 'Signatures', ...signatures, ''].join('\n');
  await appendAudit(deps.db, {
    actor: `operator:${o.operator}`,
    event: 'ca.key_ceremony',
    data: { caId: o.caId, issuerId: issuer.id, keyLabel: issuer.keyLabel, generatedNow, witnesses: o.witnesses, spkiSha256: issuer.spkiSha256, transcriptSha256: sha256, token, attestation },
  });
  return { transcript, issuerId: issuer.id, sha256 };
}
