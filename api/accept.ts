/**
 * Issuance cycle step 1 — accept an application: parse the CSR, verify its signature (proof of possession,
 * CP 3.2.1), check the key (CP 6.1.5, BR 6.1.6), the names (BR 7.1.4.2, 3.2.2.6) and the profile, and fix the
 * validity from policy(now) (BR 6.3.2). Nothing is stored here: a refusal leaves no trace but the problem document.
 */
import { randomBytes } from 'node:crypto';
import type { CaConfig } from '../config';
import { CaError } from '../domain/errors';
import { challengeExpiry, dnsChangeRecordName } from '../domain/dcv';
import { checkOrderNames } from '../domain/identifiers';
import { checkSubscriberKey } from '../domain/keys';
import { maxValidity, policyAt } from '../domain/policy';
import { commonNameFor } from '../domain/profiles';
import { parseCsr, verifyCsrSignature } from '../pki/csr';

export interface AcceptedApplication {
  readonly profile: 'dv';
  readonly csrDer: Uint8Array;
  readonly spkiSha256: Uint8Array;
  readonly dnsNames: string[];
  readonly validitySeconds: number;
  readonly expiresAt: Date;
  readonly authorizations: Array<{
    fqdn: string;
    wildcard: boolean;
    challenge: { method: string; recordName: string; token: string; expiresAt: Date };
  }>;
}

/** A random value of 256 bits from the CSPRNG (CP 3.2.2.4 requires >= 112), base64url: safe in a TXT record. */
export function newRandomValue(): string {
  return randomBytes(32).toString('base64url');
}

export async function acceptApplication(
  input: { csr: Uint8Array | string; profile: string },
  ctx: { now: Date; config: Pick<CaConfig, 'environment' | 'dns'> },
): Promise<AcceptedApplication> {
  if (input.profile !== 'dv') {
    throw new CaError('unsupportedProfile', `profile "${input.profile}" is not offered; use "dv" (OV vetting is not available yet)`, {
      rule: 'CP 1.3 (products)',
    });
  }
  const csr = parseCsr(input.csr);
  if (!(await verifyCsrSignature(csr))) {
    throw new CaError('badCsr', 'the CSR signature does not verify with the public key it carries', { rule: 'CP 3.2.1' });
  }
  const keyCheck = checkSubscriberKey(csr.publicKey);
  if (!keyCheck.ok) throw new CaError('badPublicKey', keyCheck.reason, { rule: keyCheck.rule });
  if (csr.otherSanTypes.length > 0) {
    throw new CaError('rejectedIdentifier', `the CSR asks for ${csr.otherSanTypes.join(', ')} names; only dNSName SANs are issued`, {
      rule: 'CP 7.1.1 (subjectAltName: dNSName)',
    });
  }
  if (csr.commonNames.length > 1) {
    throw new CaError('badCsr', 'the CSR subject carries more than one CN', { rule: 'BR 7.1.4.3' });
  }
  // The SANs are the names; a CN must be one of them (BR 7.1.4.3). A CSR with a CN only asks for that one name.
  const requested = csr.dnsNames.length > 0 ? csr.dnsNames : csr.commonNames;
  const cn = csr.commonNames[0];
  if (cn !== undefined && csr.dnsNames.length > 0 && !csr.dnsNames.some((n) => n.toLowerCase() === cn.toLowerCase())) {
    throw new CaError('rejectedIdentifier', `the CN "${cn}" is not one of the CSR's dNSName SANs`, { rule: 'BR 7.1.4.3', identifier: cn });
  }
  const allowedReservedSuffixes = ctx.config.environment === 'development' ? [ctx.config.dns.devZone] : [];
  const names = checkOrderNames(requested, { allowedReservedSuffixes });
  if (!names.ok) {
    const first = names.errors[0]!;
    throw new CaError('rejectedIdentifier', names.errors.map((e) => `${e.name}: ${e.reason}`).join('; '), {
      rule: first.rule,
      identifier: first.name,
      errors: names.errors,
    });
  }
  // CP 7.1.1: the subject CN (a copy of one SAN, BR 7.1.4.3) is required, and X.520 caps it at 64 characters.
  if (commonNameFor(names.names.map((n) => n.fqdn)) === undefined) {
    throw new CaError('rejectedIdentifier', 'no name is 64 characters or shorter, so none can be the subject CN', {
      rule: 'CP 7.1.1 (subject CN required), RFC 5280 ub-common-name',
      identifier: names.names[0]!.fqdn,
    });
  }
  const policy = policyAt(ctx.now);
  const challengeExpiresAt = challengeExpiry(ctx.now, policy);
  return {
    profile: 'dv',
    csrDer: csr.der,
    spkiSha256: csr.spkiSha256,
    dnsNames: names.names.map((n) => n.fqdn),
    validitySeconds: maxValidity(policy, ctx.now),
    expiresAt: challengeExpiresAt,
    authorizations: names.names.map((n) => ({
      fqdn: n.fqdn,
      wildcard: n.wildcard,
      challenge: { method: '3.2.2.4.7', recordName: dnsChangeRecordName(n.fqdn), token: newRandomValue(), expiresAt: challengeExpiresAt },
    })),
  };
}
