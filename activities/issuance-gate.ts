/**
 * The issuance gate in the signing worker (docs/SECURITY.md): before the precertificate (step 7) or the certificate
 * (step 10) is signed, everything domain/issuance-gate.ts judges is read here, in one place, from PostgreSQL and from
 * the TBS about to be signed — never from the workflow's input, which anything that reaches Temporal can forge.
 * A refusal is audited (`issuance.refused`, every reason) and thrown as the non-retryable `issuanceRefused`: nothing
 * is signed, the HSM is not asked.
 */
import type * as pkijs from 'pkijs';
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { appendAudit } from '../db/repositories/audit';
import { findBlockedKey } from '../db/repositories/blocklist';
import { lintersThatPassed } from '../db/repositories/ct-lint';
import { loadIssuanceRecords } from '../db/repositories/issuance-records';
import { CaError } from '../domain/errors';
import { describeRefusals, evaluateIssuanceGate, type GateRefusal, type IssuanceFacts, type SigningStep } from '../domain/issuance-gate';
import type { SubscriberKey } from '../domain/keys';
import { certifiedByTbs } from '../pki/certificate';
import { rsaPublicKeyFromSpki } from '../pki/csr';
import { sha256 } from '../pki/sct';

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

export interface GateRequest {
  readonly orderId: string;
  readonly serial: string;
  readonly step: SigningStep;
  /** The TBS the signer built from the database and is about to sign, and its DER (the bytes it will sign). */
  readonly tbs: pkijs.Certificate;
  readonly tbsDer: Uint8Array;
  readonly now: Date;
}

function subscriberKey(spki: pkijs.PublicKeyInfo): SubscriberKey {
  const oid = spki.algorithm.algorithmId;
  return oid === RSA_ENCRYPTION ? { kind: 'rsa', ...rsaPublicKeyFromSpki(spki) } : { kind: 'other', algorithmOid: oid };
}

/** Everything the gate judges, read from the database and the TBS; null when the order does not exist. */
export async function loadIssuanceFacts(db: Db, config: Pick<CaConfig, 'lint'>, r: GateRequest): Promise<IssuanceFacts | null> {
  const certified = certifiedByTbs(r.tbs);
  const key = subscriberKey(certified.publicKeyInfo);
  const spkiSha256 = sha256(certified.spkiDer);
  // Three independent reads at once (the records in one REPEATABLE READ transaction of their own).
  const [records, blockedKey, passed] = await Promise.all([
    loadIssuanceRecords(db, { orderId: r.orderId, serial: r.serial }),
    findBlockedKey(db, { spkiSha256, ...(key.kind === 'rsa' ? { rsaModulus: key.modulus } : {}) }),
    lintersThatPassed(db, r.serial, r.step, r.tbsDer),
  ]);
  if (!records) return null;
  const { order } = records;
  const accountOf = (id: string | null) => records.accounts.find((a) => a.id === id) ?? null;
  return {
    step: r.step,
    now: r.now,
    order,
    issuerCaId: records.certificate?.issuerCaId ?? null,
    vettedRecord: records.vettedRecord,
    account: accountOf(order.accountId),
    provider: order.providerAccountId ? accountOf(order.providerAccountId) : null,
    acmeAccount: records.acmeAccount,
    certificate: records.certificate ?? { serial: r.serial, orderId: '', status: 'unknown', hasPrecertificate: false },
    tbsNames: certified.dnsNames,
    authorizations: records.authorizations.map((a) => {
      const v = records.validations.get(a.basisId);
      return {
        ...a,
        validation: v ? { ...v, authorizationStatus: v.status } : null,
      };
    }),
    caa: records.caa,
    key,
    blockedKey,
    lint: { required: config.lint.linters, passed: [...passed] },
  };
}

/** Throws `issuanceRefused` (after auditing it) unless the records prove that `r.tbs` may be signed now. */
export async function enforceIssuanceGate(db: Db, config: Pick<CaConfig, 'lint'>, r: GateRequest): Promise<void> {
  const facts = await loadIssuanceFacts(db, config, r);
  const verdict = facts ? evaluateIssuanceGate(facts) : null;
  if (verdict?.ok) return;
  const refusals: readonly GateRefusal[] = verdict?.refusals ?? [{ check: 'order-state', rule: 'CP 4.3.1', reason: `order ${r.orderId} does not exist` }];
  await appendAudit(db, {
    actor: 'signing-worker',
    event: 'issuance.refused',
    orderId: facts ? r.orderId : null,
    serial: r.serial,
    data: { step: r.step, orderId: r.orderId, refusals: refusals.map((x) => ({ ...x })) },
  });
  const first = refusals[0]!;
  throw new CaError('issuanceRefused', `the signer refuses the ${r.step} of ${r.serial}: ${describeRefusals(refusals)}`, {
    rule: first.rule,
    ...(first.identifier ? { identifier: first.identifier } : {}),
    refusals,
  });
}
