/**
 * The issuance gate: what the signing worker — the one security context holding the CA keys — requires of the
 * records before it signs a precertificate (issuance cycle step 7) or a certificate (step 10). The workflow decides
 * what to do next; this decides whether the database proves that the CA may sign NOW. Anything that can reach
 * Temporal can start a workflow with any input, so the facts here are read from PostgreSQL by the signing worker
 * (activities/issuance-gate.ts), never taken from the workflow.
 *
 * Every rule is checked and every failure reported (the audit entry lists them all). Pure: the loader passes `now`,
 * policy(now) is derived here.
 */
import { caaCheckValidUntil } from './caa';
import { checkDcvMethod, dcvCorroborationRequired, validationReusable } from './dcv';
import { blocklistCheck, checkSubscriberKey, weakKeyChecks, type SubscriberKey } from './keys';
import { dcvMethodIds, policyAt, type DcvMethodId } from './policy';
import { vettedRecordValidAt } from './vetting';

export type SigningStep = 'precertificate' | 'final';

/** The validation an authorization rests on: its own valid challenge, or the earlier one it reused (BR 4.2.1). */
export interface GateValidation {
  readonly authorizationId: string;
  readonly accountId: string;
  readonly fqdn: string;
  readonly wildcard: boolean;
  readonly authorizationStatus: string;
  /** The CP 3.2.2.4 method of the challenge that validated it (null: no valid challenge). */
  readonly method: string | null;
  readonly validatedAt: Date | null;
  /** Result of the latest DCV corroboration round of that authorization (BR 3.2.2.9), null when none was run. */
  readonly dcvCorroboration: 'pass' | 'fail' | null;
}

export interface GateAuthorization {
  readonly id: string;
  readonly fqdn: string;
  readonly wildcard: boolean;
  readonly status: string;
  readonly accountId: string;
  /** Null when neither a valid challenge nor a reused authorization backs it. */
  readonly validation: GateValidation | null;
}

/** The latest CAA round (primary and remote perspectives, BR 3.2.2.8 / 3.2.2.9) of one name of the order. */
export interface GateCaaRound {
  readonly fqdn: string;
  readonly result: 'pass' | 'fail';
  readonly checkedAt: Date;
  /** checkedAt of the primary + max(TTL, 8 h); null for rounds stored without it (then checkedAt + 8 h). */
  readonly validUntil: Date | null;
}

/** The vetted organization record an OV order pinned at step 4 (CP 3.2.2.1, 7.1.1): the OV subject's source. */
export interface GateVettedRecord {
  readonly id: string;
  readonly organizationId: string;
  readonly validFrom: Date;
  readonly validUntil: Date;
}

export interface IssuanceFacts {
  readonly step: SigningStep;
  readonly now: Date;
  readonly order: {
    readonly id: string;
    readonly status: string;
    readonly accountId: string;
    readonly providerAccountId: string | null;
    readonly dnsNames: readonly string[];
    /** The profile applied for (CP 1.3: `dv` or `ov`) and, for OV, the organization the order names. */
    readonly profile: string;
    readonly organizationId: string | null;
  };
  /** The CA whose key the serial was reserved under (`dv`, `ov`; null: unknown). An `ov` key signs OV certificates. */
  readonly issuerCaId: string | null;
  /** The vetted record the order pinned, if any. */
  readonly vettedRecord: GateVettedRecord | null;
  readonly account: { readonly id: string; readonly status: string } | null;
  /** The designated provider that relayed the order (CP 1.3), when there is one. */
  readonly provider: { readonly id: string; readonly status: string; readonly kind: string } | null;
  /** The ACME account that placed the order (RFC 8555), when it came through ACME. */
  readonly acmeAccount: { readonly id: string; readonly status: string; readonly accountId: string } | null;
  readonly certificate: { readonly serial: string; readonly orderId: string; readonly status: string; readonly hasPrecertificate: boolean };
  /** The dNSName SANs of the TBS about to be signed. */
  readonly tbsNames: readonly string[];
  readonly authorizations: readonly GateAuthorization[];
  readonly caa: readonly GateCaaRound[];
  readonly key: SubscriberKey;
  /** The blocklist entry matching the key (BR 6.1.1.3), if any. */
  readonly blockedKey: { readonly source: string } | null;
  /** Linters every TBS must pass (config) and those with a passing report for exactly this TBS (BR 4.3.1.2). */
  readonly lint: { readonly required: readonly string[]; readonly passed: readonly string[] };
}

export type GateCheck = 'order-state' | 'account' | 'names' | 'authorization' | 'dcv-method' | 'reuse-period' | 'mpic' | 'caa' | 'organization' | 'key' | 'lint';

export interface GateRefusal {
  readonly check: GateCheck;
  readonly rule: string;
  readonly reason: string;
  readonly identifier?: string;
}

export type GateVerdict = { readonly ok: true } | { readonly ok: false; readonly refusals: readonly GateRefusal[] };

const lower = (s: string) => s.toLowerCase();

/** The name an authorization stands for: a wildcard's may be stored under its base name (RFC 8555 §7.1.4). */
function authorizedName(a: { fqdn: string; wildcard: boolean }): string {
  const n = lower(a.fqdn);
  return a.wildcard && !n.startsWith('*.') ? `*.${n}` : n;
}

const isMethod = (m: string | null): m is DcvMethodId => m !== null && (dcvMethodIds as readonly string[]).includes(m);

/** Step 7 signs a reserved serial once; step 10 signs the certificate of an existing, unrevoked precertificate. */
function orderState(f: IssuanceFacts): GateRefusal[] {
  const out: GateRefusal[] = [];
  const refuse = (reason: string) => out.push({ check: 'order-state', rule: 'CP 4.3.1', reason });
  if (f.certificate.orderId !== f.order.id) refuse(`serial ${f.certificate.serial} is not reserved for order ${f.order.id}`);
  if (f.order.status !== 'processing') refuse(`the order is ${f.order.status}, not processing`);
  if (f.step === 'precertificate' && (f.certificate.status !== 'reserved' || f.certificate.hasPrecertificate)) {
    refuse(`certificate ${f.certificate.serial} is ${f.certificate.status}, not reserved`);
  }
  if (f.step === 'final' && (f.certificate.status !== 'precertificate' || !f.certificate.hasPrecertificate)) {
    refuse(`certificate ${f.certificate.serial} is ${f.certificate.status}: the final certificate needs its unrevoked precertificate`);
  }
  return out;
}

function accounts(f: IssuanceFacts): GateRefusal[] {
  const out: GateRefusal[] = [];
  if (f.account?.status !== 'active' || f.account.id !== f.order.accountId) {
    out.push({ check: 'account', rule: 'CP 4.1', reason: `the applicant account ${f.order.accountId} is ${f.account?.status ?? 'unknown'}, not active` });
  }
  if (f.order.providerAccountId !== null && (f.provider?.id !== f.order.providerAccountId || f.provider.status !== 'active' || f.provider.kind !== 'provider')) {
    out.push({ check: 'account', rule: 'CP 1.3, 3.4 (1)', reason: `the relaying provider ${f.order.providerAccountId} is ${f.provider?.status ?? 'unknown'}, not an active designated provider` });
  }
  if (f.acmeAccount && (f.acmeAccount.status !== 'valid' || f.acmeAccount.accountId !== f.order.accountId)) {
    out.push({ check: 'account', rule: 'RFC 8555 §7.1.2', reason: `the ACME account ${f.acmeAccount.id} is ${f.acmeAccount.status}` });
  }
  return out;
}

/** CP 3.2.2.4: every name of the certificate is one of the order's and was validated for the order's account. */
function names(f: IssuanceFacts, policy: ReturnType<typeof policyAt>): GateRefusal[] {
  const out: GateRefusal[] = [];
  if (f.tbsNames.length === 0) out.push({ check: 'names', rule: 'CP 7.1.1', reason: 'the TBS carries no dNSName' });
  const ordered = new Set(f.order.dnsNames.map(lower));
  for (const raw of f.tbsNames) {
    const name = lower(raw);
    const refuse = (check: GateCheck, rule: string, reason: string) => out.push({ check, rule, reason: `${name}: ${reason}`, identifier: name });
    if (!ordered.has(name)) {
      refuse('names', 'CP 4.1', 'not a name of the order');
      continue;
    }
    const authz = f.authorizations.find((a) => authorizedName(a) === name && a.accountId === f.order.accountId && a.status === 'valid');
    const v = authz?.validation;
    if (!authz || !v || v.authorizationStatus !== 'valid' || v.accountId !== f.order.accountId || authorizedName(v) !== name) {
      refuse('authorization', 'CP 3.2.2.4', `no valid authorization of account ${f.order.accountId} backs this name`);
      continue;
    }
    if (!isMethod(v.method) || v.validatedAt === null) {
      refuse('dcv-method', 'CP 3.2.2.4', `the authorization has no validated challenge of a CP 3.2.2.4 method (${v.method ?? 'none'})`);
      continue;
    }
    const method = checkDcvMethod(policy, v.method, { wildcard: name.startsWith('*.') });
    if (!method.ok) refuse('dcv-method', method.rule, method.reason);
    const reuse = validationReusable(policy, { validatedAt: v.validatedAt, method: v.method }, f.now);
    if (!reuse.ok) refuse('reuse-period', reuse.rule, reuse.reason);
    if (dcvCorroborationRequired(v.method) && v.dcvCorroboration !== 'pass') {
      refuse('mpic', 'BR 3.2.2.9', `the domain validation has ${v.dcvCorroboration === 'fail' ? 'a failed' : 'no'} multi-perspective corroboration`);
    }
    const caa = f.caa.find((c) => lower(c.fqdn) === name);
    if (!caa) {
      refuse('caa', 'BR 3.2.2.8', 'CAA was never checked for this order');
    } else if (caa.result !== 'pass') {
      refuse('caa', 'BR 3.2.2.8, 3.2.2.9', 'the latest CAA check (primary and remote perspectives) did not pass');
    } else {
      const until = caa.validUntil ?? caaCheckValidUntil(caa.checkedAt, 0);
      if (f.now.getTime() > until.getTime()) {
        refuse('caa', 'BR 3.2.2.8', `CAA was checked at ${caa.checkedAt.toISOString()}, usable until ${until.toISOString()} (max(TTL, 8 h))`);
      }
    }
  }
  return out;
}

/**
 * OV (CP 3.2.2.1, 7.1.1; BR 4.2.1): a certificate of the OV profile or from an OV key is signed only for an order that
 * pins a vetted record of its own organization, valid at this signature — organization data older than the reuse
 * period (398 days) is not used, however long the order took.
 */
function organization(f: IssuanceFacts): GateRefusal[] {
  if (f.order.profile !== 'ov' && f.issuerCaId !== 'ov') return [];
  const refuse = (rule: string, reason: string): GateRefusal[] => [{ check: 'organization', rule, reason }];
  if (f.order.profile !== 'ov' || f.issuerCaId !== 'ov') {
    return refuse('CP 1.3, 7.1.2', `an OV certificate needs an OV order under the OV issuing CA (order ${f.order.profile}, issuer ${f.issuerCaId ?? 'unknown'})`);
  }
  const r = f.vettedRecord;
  if (!f.order.organizationId || !r) return refuse('CP 3.2.2.1, 7.1.1', `the OV order ${f.order.id} pins no vetted organization record`);
  if (r.organizationId !== f.order.organizationId) {
    return refuse('CP 3.2.2.1', `the pinned vetted record ${r.id} is of organization ${r.organizationId}, not the order's ${f.order.organizationId}`);
  }
  if (!vettedRecordValidAt(r, f.now)) {
    return refuse('BR 4.2.1', `the vetted record ${r.id} is valid from ${r.validFrom.toISOString()} until ${r.validUntil.toISOString()}, not at ${f.now.toISOString()}`);
  }
  return [];
}

function key(f: IssuanceFacts): GateRefusal[] {
  const verdict = checkSubscriberKey(f.key, { weakKeyChecks: [...weakKeyChecks, blocklistCheck(f.blockedKey)] });
  return verdict.ok ? [] : [{ check: 'key', rule: verdict.rule, reason: verdict.reason }];
}

function lint(f: IssuanceFacts): GateRefusal[] {
  const missing = f.lint.required.filter((l) => !f.lint.passed.includes(l));
  if (f.lint.required.length > 0 && missing.length === 0) return [];
  const why = missing.length > 0 ? `no passing report from ${missing.join(', ')}` : 'no linter is configured';
  return [{ check: 'lint', rule: 'BR 4.3.1.2', reason: `the ${f.step} TBS of ${f.certificate.serial}: ${why}` }];
}

export function evaluateIssuanceGate(f: IssuanceFacts): GateVerdict {
  const policy = policyAt(f.now);
  const refusals = [...orderState(f), ...accounts(f), ...names(f, policy), ...organization(f), ...key(f), ...lint(f)];
  return refusals.length === 0 ? { ok: true } : { ok: false, refusals };
}

/** One line per refusal, for the failure message and the order's error detail. */
export function describeRefusals(refusals: readonly GateRefusal[]): string {
  return refusals.map((r) => `${r.reason} (${r.rule})`).join('; ');
}
