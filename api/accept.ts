/**
 * Issuance cycle step 1 — accept an application: parse the CSR, verify its signature (proof of possession,
 * CP 3.2.1), check the key (CP 6.1.5, BR 6.1.6), the names (BR 7.1.4.2, 3.2.2.6) and the profile, and fix the
 * validity from policy(now) (BR 6.3.2). Nothing is stored here: a refusal leaves no trace but the problem document.
 */
import { randomBytes } from 'node:crypto';
import type { CaConfig } from '../config';
import type { NewChallenge, NewOrder } from '../db/repositories/orders';
import { CaError } from '../domain/errors';
import { challengeExpiry, checkDcvMethod, checkRequestedMethods, dnsChangeRecordName, type DcvMethodId } from '../domain/dcv';
import { checkOrderNames } from '../domain/identifiers';
import { blocklistCheck, checkSubscriberKey, weakKeyChecks } from '../domain/keys';
import { caIsRegistrarFor, isPublicSuffix } from '../domain/public-suffix';
import { maxValidity, policyAt } from '../domain/policy';
import { checkProfile, commonNameFor } from '../domain/profiles';
import { parseAndVerifyCsr } from '../pki/csr';

/** An accepted application: the order to store, but for whose it is (the door knows the account). */
export type AcceptedApplication = Omit<NewOrder, 'accountId' | 'providerAccountId' | 'workflowId' | 'acme' | 'actor'>;

/**
 * The challenges besides the DNS change (3.2.2.4.7, always offered and first) that policy(now) allows for this name —
 * the applicant picks one per authorization by answering it (POST .../challenges/{id}/ready):
 *  - 3.2.2.4.18 web file: the random value in a file under /.well-known/pki-validation/ whose NAME is another random
 *    value (the value itself must never appear in the request, BR 3.2.2.4.18); never for wildcards;
 *  - 3.2.2.4.4 constructed e-mail, when an SMTP relay is configured and until 2028-03-15;
 *  - 3.2.2.4.12 registrant, where this CA is the registrar of the registered domain.
 */
export function otherChallenges(
  n: { fqdn: string; wildcard: boolean },
  policy: ReturnType<typeof policyAt>,
  expiresAt: Date,
  opts: { email?: boolean; registrarDomains?: readonly string[] } = {},
): NewChallenge[] {
  const out: NewChallenge[] = [];
  // 3.2.2.4.4 constructed e-mail: allowed until 2028-03-15 (policy table), only with an SMTP relay; its random
  // values are made per e-mail when the applicant chooses the address (the challenge's own value is not sent).
  if (opts.email && checkDcvMethod(policy, '3.2.2.4.4', n).ok) {
    out.push({ method: '3.2.2.4.4', recordName: null, token: newRandomValue(), expiresAt });
  }
  // 3.2.2.4.12: only where this CA is the registrar of the name's registered domain.
  if (caIsRegistrarFor(n.fqdn, opts.registrarDomains ?? []) && checkDcvMethod(policy, '3.2.2.4.12', n).ok) {
    out.push({ method: '3.2.2.4.12', recordName: null, token: newRandomValue(), expiresAt });
  }
  if (checkDcvMethod(policy, '3.2.2.4.18', n).ok) {
    out.push({ method: '3.2.2.4.18', recordName: `/.well-known/pki-validation/${randomBytes(16).toString('hex')}.txt`, token: newRandomValue(), expiresAt });
  }
  return out;
}

/** A random value of 256 bits from the CSPRNG (CP 3.2.2.4 requires >= 112), base64url: safe in a TXT record. */
export function newRandomValue(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The name half of step 1, shared with ACME newOrder (RFC 8555 §7.4), which gets the names before any CSR:
 * name policy (BR 7.1.4.2, 3.2.2.6; the dev zone only in development) and a possible subject CN (CP 7.1.1).
 */
export function acceptNames(
  requested: readonly string[],
  ctx: { now: Date; config: Pick<CaConfig, 'environment' | 'dns'> },
): Array<{ fqdn: string; wildcard: boolean }> {
  const allowedReservedSuffixes = ctx.config.environment === 'development' ? [ctx.config.dns.devZone] : [];
  const names = checkOrderNames(requested, { allowedReservedSuffixes, isPublicSuffix, policy: policyAt(ctx.now) });
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
  return names.names.map((n) => ({ fqdn: n.fqdn, wildcard: n.wildcard }));
}

export async function acceptApplication(
  input: { csr: Uint8Array | string; profile: string; methods?: readonly string[] },
  ctx: {
    now: Date;
    config: Pick<CaConfig, 'environment' | 'dns'>;
    /** BR 6.1.1.3: the compromised/weak key blocklist lookup (db/repositories/blocklist.ts findBlockedKey). */
    findBlockedKey?: (key: { spkiSha256: Uint8Array; rsaModulus?: bigint }) => Promise<{ source: string } | null>;
    /** An SMTP relay is configured, so the constructed e-mail method (CP 3.2.2.4.4) can be offered. */
    emailMethod?: boolean;
    /** Domains this CA is the registrar of (CP 3.2.2.4.12, config CA_REGISTRAR_DOMAINS). */
    registrarDomains?: readonly string[];
  },
): Promise<AcceptedApplication> {
  const profile = checkProfile(input.profile);
  if (!profile.ok) throw new CaError('unsupportedProfile', profile.reason, { rule: profile.rule });
  const csr = await parseAndVerifyCsr(input.csr);
  // BR 6.1.1.3: ROCA, Fermat (100 rounds) and the blocklist, after the structural CP 6.1.5 / BR 6.1.6 checks.
  const blocked = ctx.findBlockedKey
    ? await ctx.findBlockedKey({ spkiSha256: csr.spkiSha256, rsaModulus: csr.publicKey.kind === 'rsa' ? csr.publicKey.modulus : undefined })
    : null;
  const keyCheck = checkSubscriberKey(csr.publicKey, { weakKeyChecks: [...weakKeyChecks, blocklistCheck(blocked)] });
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
  const policy = policyAt(ctx.now);
  // Methods the applicant asked for (CP 3.2.2.4) — a prohibited one (3.2.2.4.2 since 2025-07-15, 3.2.2.4.4 from
  // 2028-03-15) is refused outright, citing the rule and its date.
  const requestedMethods = checkRequestedMethods(policy, input.methods ?? []);
  if (!requestedMethods.ok) {
    throw new CaError(requestedMethods.kind === 'prohibited' ? 'validationFailed' : 'malformed', requestedMethods.reason, { rule: requestedMethods.rule });
  }
  const names = acceptNames(requested, ctx);
  const challengeExpiresAt = challengeExpiry(ctx.now, policy);
  return {
    profile: profile.profile.id,
    csrDer: csr.der,
    spkiSha256: csr.spkiSha256,
    dnsNames: names.map((n) => n.fqdn),
    validitySeconds: maxValidity(policy, ctx.now),
    expiresAt: challengeExpiresAt,
    authorizations: names.map((n) => ({
      fqdn: n.fqdn,
      wildcard: n.wildcard,
      challenge: { method: '3.2.2.4.7', recordName: dnsChangeRecordName(n.fqdn), token: newRandomValue(), expiresAt: challengeExpiresAt },
      moreChallenges: otherChallenges(n, policy, challengeExpiresAt, { email: ctx.emailMethod ?? false, registrarDomains: ctx.registrarDomains ?? [] }).filter(
        (c) => requestedMethods.methods.length === 0 || requestedMethods.methods.includes(c.method as DcvMethodId),
      ),
    })),
  };
}
