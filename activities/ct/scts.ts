/**
 * The SCT list of a final certificate (issuance cycle step 10): the stored SCTs of the chosen logs, each verified
 * again against the configured log key and the precertificate, and the CT policy evaluated again — by whoever is
 * about to embed them (the lint of the final certificate, and the signing worker before it signs).
 */
import type { Db } from '../../db/client';
import { listScts } from '../../db/repositories/ct-lint';
import { getIssuer } from '../../db/repositories/issuers';
import { ctRequirement, evaluateCtPolicy, lifetimeDays } from '../../domain/ct-policy';
import { CaError } from '../../domain/errors';
import { policyAt } from '../../domain/policy';
import { parseCertificate, tbsWithoutCtExtensions } from '../../pki/certificate';
import { decodeSct, sctListExtensionValue, verifyPrecertSct } from '../../pki/sct';
import { loadCtLogList } from './log-list';

export function spkiOfCertificate(der: Uint8Array): Uint8Array {
  return new Uint8Array(parseCertificate(der).subjectPublicKeyInfo.toSchema().toBER(false));
}

/**
 * The extension value (OCTET STRING-wrapped RFC 6962 3.3 list) for `serial` from the SCTs of `logIds`, or refuses
 * (non-retryable) when one is missing or does not verify, or when together they do not meet the CT policy.
 */
export async function verifiedSctListExtension(
  db: Db,
  p: { serial: string; issuerId: string; precertDer: Uint8Array; notBefore: Date; notAfter: Date; logIds: readonly string[]; logListFile: string; now: Date },
): Promise<Uint8Array> {
  const rows = await listScts(db, p.serial, p.logIds);
  const missing = p.logIds.filter((id) => !rows.some((r) => r.logId === id));
  if (missing.length > 0) {
    throw new CaError('ctPolicyNotMet', `no stored SCT for ${p.serial} from ${missing.join(', ')}`);
  }
  const issuer = await getIssuer(db, p.issuerId);
  if (!issuer?.certDer) throw new CaError('invariantViolated', `issuing CA ${p.issuerId} has no certificate`);
  const issuerSpkiDer = spkiOfCertificate(issuer.certDer);
  const tbsDer = tbsWithoutCtExtensions(p.precertDer);
  const logs = loadCtLogList(p.logListFile);
  const scts = rows.map((r) => {
    const log = logs.find((l) => l.id === r.logId);
    if (!log) throw new CaError('ctPolicyNotMet', `CT log ${r.logId} is no longer in the log list`);
    const sct = decodeSct(r.sct);
    const check = verifyPrecertSct(sct, { logSpkiDer: log.spkiDer, issuerSpkiDer, tbsDer });
    if (!check.ok) throw new CaError('ctSctInvalid', `SCT of ${r.logId} for ${p.serial}: ${check.reason}`, { rule: 'RFC 6962 §3.2' });
    return { sct, log };
  });
  const req = ctRequirement(policyAt(p.now), lifetimeDays(p.notBefore, p.notAfter));
  const evaluation = evaluateCtPolicy(req, scts.map(({ log }) => ({ logId: log.id, operator: log.operator, api: log.api })));
  if (!evaluation.met) {
    throw new CaError('ctPolicyNotMet', `the SCTs of ${p.serial} do not meet the CT policy: ${evaluation.missing}`);
  }
  return sctListExtensionValue(scts.map(({ sct }) => sct));
}
