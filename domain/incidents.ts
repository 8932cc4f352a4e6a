/**
 * Incident response as rules (CP 4.9.1, BR 4.9.1.1; CCADB incident reporting): what selects the affected certificates,
 * by when they must be revoked, and how fast the workflow revokes them. Pure: the incident workflow, its activities,
 * the admin CLI and the tests call these with the facts and `now`.
 */
import { CaError } from './errors';
import { revocationDeadlines, revocationReasons, reasonName, type RevocationReasonCode } from './revocation';

/**
 * Which certificates an incident affects. Every given criterion must hold (AND); at least one is required, so an
 * incident never selects "everything" by omission. Only signed, unexpired certificates are ever selected.
 */
export interface IncidentCriteria {
  /** One issuing key (issuers.id, e.g. 'dv' or 'dv-k2'): with caKeyCompromise, every unexpired certificate of it. */
  readonly issuerId?: string;
  /** The issuing key itself is compromised (CP 4.9.1): `issuerId` is required and no other criterion narrows it. */
  readonly caKeyCompromise?: boolean;
  /** Issued (notBefore) at or after / at or before these instants, ISO-8601. */
  readonly issuedFrom?: string;
  readonly issuedTo?: string;
  /** Serial numbers (hex): kept in PostgreSQL with the incident, never in a workflow's input or history. */
  readonly serials?: readonly string[];
  /** SHA-256 of the SubjectPublicKeyInfo (hex): every certificate with that public key. */
  readonly spkiSha256Hex?: string;
  /** A lint that now fails: each candidate is linted again with today's linter, and selected when this code fires. */
  readonly lint?: { readonly linter: 'zlint' | 'pkilint'; readonly code: string };
}

/** Refuses criteria that select nothing definite, or a CA key compromise narrowed by anything but its issuer. */
export function checkIncidentCriteria(c: IncidentCriteria): void {
  const given = [c.issuerId, c.issuedFrom, c.issuedTo, c.serials, c.spkiSha256Hex, c.lint].filter((v) => v !== undefined);
  if (given.length === 0) throw new CaError('malformed', 'an incident needs at least one selection criterion (issuer, time range, serials, public key, lint)');
  if (c.caKeyCompromise && (!c.issuerId || given.length > 1)) {
    throw new CaError('malformed', 'a CA key compromise selects every unexpired certificate of one issuing key: give --issuer only', { rule: 'CP 4.9.1' });
  }
  for (const [name, v] of [['issuedFrom', c.issuedFrom], ['issuedTo', c.issuedTo]] as const) {
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw new CaError('malformed', `${name} is not an ISO-8601 instant: ${v}`);
  }
  if (c.spkiSha256Hex !== undefined && !/^[0-9a-f]{64}$/.test(c.spkiSha256Hex)) throw new CaError('malformed', 'the public key hash is 64 lowercase hex digits (SHA-256 of the SPKI)');
  if (c.serials !== undefined && c.serials.length === 0) throw new CaError('malformed', 'the serial list is empty');
}

/** A short human description of the criteria (progress, report). Serial lists are counted, not listed. */
export function describeCriteria(c: IncidentCriteria): string {
  const parts: string[] = [];
  if (c.caKeyCompromise) parts.push(`CA key compromise of issuer ${c.issuerId}`);
  else if (c.issuerId) parts.push(`issuer ${c.issuerId}`);
  if (c.issuedFrom || c.issuedTo) parts.push(`issued ${c.issuedFrom ?? '…'} – ${c.issuedTo ?? '…'}`);
  if (c.serials) parts.push(`${c.serials.length} listed serial(s)`);
  if (c.spkiSha256Hex) parts.push(`public key SHA-256 ${c.spkiSha256Hex}`);
  if (c.lint) parts.push(`${c.lint.linter} lint ${c.lint.code} now fails`);
  return parts.join('; ');
}

const HOUR_MS = 3_600_000;

/**
 * BR 4.9.1.1: 24 hours when the reason is keyCompromise; 24 hours too when the issuing CA's own key is compromised
 * (CP 4.9.1: the CA revokes on its own — the BR's 5-day item "required by the CP" would allow more, but every relying
 * party is exposed, so we take the stricter limit); 5 days for every other finding of the CA (mis-issuance, a lint
 * that now fails, a breach of the terms).
 */
export function incidentDeadline(input: { reason: number; caKeyCompromise?: boolean }, detectedAt: Date): { deadline: Date; rule: string } {
  const d =
    input.reason === revocationReasons.keyCompromise
      ? revocationDeadlines.keyCompromise
      : input.caKeyCompromise
        ? { hours: 24, rule: 'CP 4.9.1 (the CA key is compromised): within 24 hours — stricter than BR 4.9.1.1’s 5 days' }
        : revocationDeadlines.caInitiated;
  return { deadline: new Date(detectedAt.getTime() + d.hours * HOUR_MS), rule: d.rule };
}

/** CP 7.2.3 reasons an incident may revoke with (the CA's own revocation: privilegeWithdrawn included, BR 7.2.2). */
export function incidentReason(input: string | number | undefined): RevocationReasonCode {
  if (input === undefined) return revocationReasons.superseded;
  const code = typeof input === 'number' ? input : /^\d+$/.test(input) ? Number(input) : revocationReasons[input as keyof typeof revocationReasons];
  if (code === undefined || reasonName(code) === undefined) {
    throw new CaError('badRevocationReason', `reason ${String(input)} is not one of CP 7.2.3 (${Object.keys(revocationReasons).join(', ')})`, { rule: 'CP 7.2.3, BR 7.2.2' });
  }
  return code as RevocationReasonCode;
}

/**
 * When the durable "deadline at risk" alarm fires if the incident is not done by then: a tenth of the window before
 * the deadline, at least an hour (24 h → 2.4 h before; 5 days → 12 h before) — time enough for an operator to act.
 */
export function deadlineAlarmAt(detectedAt: Date, deadline: Date): Date {
  const lead = Math.max(HOUR_MS, (deadline.getTime() - detectedAt.getTime()) / 10);
  return new Date(deadline.getTime() - lead);
}

/** Batches are sized for about this much time at the configured rate (fewer, larger activities at high rates). */
const BATCH_SECONDS = 5;
const MAX_BATCH = 500;

export interface RevocationPace {
  /** Certificates per revocation activity. */
  readonly batchSize: number;
  /** Time from one batch's start to the next one's. */
  readonly intervalMs: number;
  /** The rate actually used: the configured one, raised when only a faster one still meets the deadline. */
  readonly ratePerSecond: number;
  /** True when the configured rate would finish after the deadline (minus the alarm's lead): the pace was raised. */
  readonly raised: boolean;
}

/**
 * How fast to revoke `remaining` certificates from `now`: at the configured rate (so that CRL generation, OCSP
 * signing and the database keep up), unless that would end after `finishBy` — then at the rate that ends there,
 * since the BR deadline outranks the throttle.
 */
export function revocationPace(input: { ratePerSecond: number; remaining: number; now: Date; finishBy: Date }): RevocationPace {
  if (!(input.ratePerSecond > 0)) throw new CaError('malformed', 'the revocation rate must be a positive number of certificates per second');
  const secondsLeft = (input.finishBy.getTime() - input.now.getTime()) / 1000;
  const needed = secondsLeft > 0 ? input.remaining / secondsLeft : Number.POSITIVE_INFINITY;
  const raised = input.remaining > 0 && needed > input.ratePerSecond;
  const rate = raised ? Math.min(needed, MAX_BATCH) : input.ratePerSecond;
  const batchSize = Math.max(1, Math.min(MAX_BATCH, Math.round(rate * BATCH_SECONDS)));
  return { batchSize, intervalMs: Math.round((batchSize / rate) * 1000), ratePerSecond: rate, raised };
}
