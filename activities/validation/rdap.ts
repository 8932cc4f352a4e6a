/**
 * CP 3.2.2.4.12 / BR 3.2.2.4.12 — "Validating Applicant as a Domain Contact": only for domains this CA (JPRS) is
 * the registrar of (config CA_REGISTRAR_DOMAINS). The registrant is looked up by RDAP through the IANA bootstrap file
 * (RFC 9224) — the BR require the lookup to start from IANA's data, and cached bootstrap data may be at most 48 hours
 * old — and must match the applicant's registered identity (the account's registered name; OV identities will come
 * with vetting). The evidence keeps the bootstrap's age, the RDAP URL, the registrant's handle and names.
 *
 * Not corroborated by remote perspectives (BR 3.2.2.9 covers network-observable methods); CAA still is.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { recordChallengeResult } from '../../db/repositories/challenges';
import { getChallengeForCheck, recordEvidence } from '../../db/repositories/validation';
import { accounts, orders } from '../../db/schema';
import { dcvEvidenceLabel } from '../../domain/dcv';
import { CaError } from '../../domain/errors';
import { caIsRegistrarFor, registeredDomain } from '../../domain/public-suffix';

/** BR 3.2.2.4.12 / 3.2.2.4: data about the domain's registry taken from a cache may be at most 48 hours old. */
export const RDAP_BOOTSTRAP_MAX_AGE_MS = 48 * 3600 * 1000;

export interface RdapDeps {
  readonly db: Db;
  readonly bootstrapUrl: string;
  /** Registered domains (or `*.suffix` entries) for which this CA is the registrar. */
  readonly registrarDomains: readonly string[];
  readonly clock: () => Date;
  readonly fetchImpl?: typeof fetch;
}

type Bootstrap = { services: Array<[string[], string[]]> };

/** "Example Corp., Ltd." ~ "example corp ltd": case, punctuation and spacing do not distinguish identities. */
export function normalizeIdentity(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[\s.,'"()-]+/g, ' ').trim();
}

/** The registrant entity's names (vCard fn and org, RFC 9083 §5.1 / RFC 7095 jCard). */
export function registrantNames(rdap: unknown): { handle: string | null; names: string[] } | null {
  const entities = (rdap as { entities?: unknown[] })?.entities ?? [];
  for (const e of entities as Array<{ roles?: string[]; handle?: string; vcardArray?: [string, Array<[string, unknown, string, unknown]>] }>) {
    if (!e.roles?.includes('registrant')) continue;
    const props = e.vcardArray?.[1] ?? [];
    const names = props.filter((p) => p[0] === 'fn' || p[0] === 'org').map((p) => (Array.isArray(p[3]) ? p[3].join(' ') : String(p[3])));
    return { handle: e.handle ?? null, names };
  }
  return null;
}

export function createRdapActivities({ db, bootstrapUrl, registrarDomains, clock, fetchImpl = fetch }: RdapDeps) {
  let cache: { fetchedAt: number; data: Bootstrap } | null = null;
  async function bootstrap(): Promise<{ data: Bootstrap; fetchedAt: number }> {
    const now = clock().getTime();
    if (!cache || now - cache.fetchedAt > RDAP_BOOTSTRAP_MAX_AGE_MS) {
      const res = await fetchImpl(bootstrapUrl, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new CaError('connectionFailed', `IANA RDAP bootstrap ${bootstrapUrl}: HTTP ${res.status}`, { rule: 'BR 3.2.2.4.12' });
      cache = { fetchedAt: now, data: (await res.json()) as Bootstrap };
    }
    return cache;
  }

  return {
    async checkRegistrant({ challengeId }: { challengeId: string }): Promise<{ spec: null; registrant: string }> {
      const ch = await getChallengeForCheck(db, challengeId);
      if (!ch) throw new CaError('invariantViolated', `challenge ${challengeId} not found`);
      const domain = registeredDomain(ch.fqdn);
      if (!domain || !caIsRegistrarFor(ch.fqdn, registrarDomains)) {
        throw new CaError('validationFailed', `${ch.fqdn}: this CA is not the registrar of its domain (CP 3.2.2.4.12)`, { rule: 'CP 3.2.2.4.12', identifier: ch.fqdn });
      }
      const [owner] = await db
        .select({ name: accounts.name })
        .from(orders)
        .innerJoin(accounts, eq(accounts.id, orders.accountId))
        .where(eq(orders.id, ch.orderId));
      const { data, fetchedAt } = await bootstrap();
      const tld = domain.split('.').pop()!;
      // RFC 9224 §4: the longest matching entry wins.
      const service = data.services
        .filter(([entries]) => entries.some((e) => domain === e || domain.endsWith(`.${e}`)))
        .sort((a, b) => Math.max(...b[0].map((e) => e.length)) - Math.max(...a[0].map((e) => e.length)))[0];
      const base = service?.[1].find((u) => u.startsWith('https://')) ?? service?.[1][0];
      if (!base) throw new CaError('validationFailed', `no RDAP service for .${tld} in the IANA bootstrap`, { rule: 'BR 3.2.2.4.12', identifier: ch.fqdn });
      const url = `${base.replace(/\/?$/, '/')}domain/${domain}`;
      const res = await fetchImpl(url, { headers: { accept: 'application/rdap+json' }, signal: AbortSignal.timeout(10_000) });
      const body = res.ok ? ((await res.json()) as unknown) : null;
      const registrant = body ? registrantNames(body) : null;
      const applicant = normalizeIdentity(owner?.name ?? '');
      const matched = registrant?.names.find((n) => applicant.length > 0 && normalizeIdentity(n) === applicant) ?? null;
      const evidence = {
        fqdn: ch.fqdn,
        authorizationDomainName: domain,
        method: dcvEvidenceLabel('3.2.2.4.12'),
        perspective: 'primary',
        resolver: null,
        query: `RDAP ${url}`,
        rawAnswers: { bootstrapUrl, bootstrapFetchedAt: new Date(fetchedAt).toISOString(), status: res.status, registrant, applicant: owner?.name ?? null },
        result: matched ? ('success' as const) : ('failure' as const),
        detail: matched
          ? `registrant "${matched}" is the applicant`
          : res.ok
            ? `the registrant (${registrant?.names.join(' / ') || 'none'}) is not the applicant "${owner?.name}"`
            : `RDAP ${url}: HTTP ${res.status}`,
      };
      if (!matched) {
        await recordEvidence(db, challengeId, [evidence]);
        // A registrant mismatch is an answer, not a transient failure: retrying would not change it.
        if (res.ok) throw new CaError('validationFailed', evidence.detail, { rule: 'CP 3.2.2.4.12', identifier: ch.fqdn });
        // The RDAP service did not answer: retried within the DCV window like any unreachable validation server.
        throw new CaError('connectionFailed', evidence.detail, { rule: 'BR 3.2.2.4.12', identifier: ch.fqdn });
      }
      await recordChallengeResult(db, { challengeId, status: 'valid', evidence: [evidence], actor: 'perspective:primary', now: clock() });
      return { spec: null, registrant: matched };
    },
  };
}
