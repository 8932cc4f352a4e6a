/**
 * Configuration, parsed once from the environment into a readonly object (ARCHITECTURE.md convention 5).
 * Local defaults bring up a self-contained development CA under ./data; every value can be overridden by env.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ocspTimingViolations, type OcspTiming } from '../domain/ocsp';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const env = z.object({
  CA_ENV: z.enum(['development', 'production']).default('development'),
  CA_DATA_DIR: z.string().default(path.join(repoRoot, 'data')),
  DATABASE_URL: z.string().optional(),
  CA_PG_PORT: z.coerce.number().int().default(5433),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_PORT: z.coerce.number().int().default(8233),
  CA_TASK_QUEUE: z.string().default('ca-main'),
  CA_SIGNING_TASK_QUEUE: z.string().default('ca-signing'),
  PKCS11_MODULE: z.string().default('/usr/lib/softhsm/libsofthsm2.so'),
  HSM_TOKEN_LABEL: z.string().default('jprs-ca'),
  /** The user PIN; when absent it is read from <dataDir>/secrets/hsm-user-pin (created by the token setup). */
  HSM_PIN: z.string().optional(),
  HSM_SESSIONS: z.coerce.number().int().min(1).max(64).default(4),
  CA_API_HOST: z.string().default('127.0.0.1'),
  CA_API_PORT: z.coerce.number().int().default(8080),
  /** Base of the URLs put into certificates (CRL DP, OCSP, caIssuers): BR 7.1.2.7.7/7.1.2.7.8 want plain http. */
  CA_PUBLIC_BASE_URL: z.string().url().optional(),
  /** Resolver used for DCV and CAA lookups (host:port). Development: the local authoritative dev DNS server. */
  CA_DNS_RESOLVER: z.string().default('127.0.0.1:8053'),
  CA_DEV_DNS_PORT: z.coerce.number().int().default(8053),
  CA_DEV_DNS_ADMIN_PORT: z.coerce.number().int().default(8055),
  /** The zone the development DNS server is authoritative for; names under it are the README tour's names. */
  CA_DEV_ZONE: z.string().default('dev.test'),
  /** CP 4.2.4: this CA's CAA issuer domain name. */
  CA_CAA_ISSUER_DOMAIN: z.string().default('jprs.jp'),
  /** CP 7.1.1: the CPS qualifier of the CP policy OID; BR 7.1.2.7.9 says qualifiers are NOT RECOMMENDED, so it can be switched off. */
  CA_CPS_URL: z.string().default('http://jprs.jp/pubcert/info/repository/'),
  CA_CPS_QUALIFIER: z.enum(['on', 'off']).default('on'),
  /** How long the workflow keeps re-checking a DNS record after the applicant said it is ready (seconds). */
  CA_DCV_CHECK_WINDOW_SECONDS: z.coerce.number().int().min(1).default(600),
  // Issue #3: multi-perspective issuance corroboration (BR 3.2.2.9), docs/VALIDATION.md.
  /**
   * Remote perspectives, comma-separated `id:RIR[@resolverHost:port]`; each is a worker on task queue
   * `perspective-<id>` (worker/perspective.ts). Development default: five local perspectives on the dev resolver.
   * Production default: none — issuance then fails closed (BR 3.2.2.9 quorum).
   */
  CA_PERSPECTIVES: z.string().optional(),
  /** worker/perspective.ts: run only this perspective (a deployment in one region); unset = all configured. */
  CA_PERSPECTIVE_ID: z.string().optional(),
  /** RIR region label of the primary perspective (where the main worker runs). */
  CA_PRIMARY_REGION: z.string().default('APNIC'),
  /**
   * BR 3.2.2.4.18/.19 fetches refuse non-public addresses; development may allow loopback (local test web servers).
   * Ignored (always off) in production.
   */
  CA_DCV_HTTP_ALLOW_LOOPBACK: z.enum(['on', 'off']).optional(),
  /** CP 3.2.2.4.4 constructed e-mail: the SMTP relay (nodemailer URL, e.g. smtp://127.0.0.1:25); unset = not offered. */
  CA_SMTP_URL: z.string().optional(),
  CA_SMTP_FROM: z.string().optional(),
  /** CP 3.2.2.4.12: registered domains (or `*.suffix`) this CA is the registrar of, comma-separated; empty = method off. */
  CA_REGISTRAR_DOMAINS: z.string().default(''),
  /** RFC 9224 IANA RDAP bootstrap for DNS (BR 3.2.2.4.12: start from IANA's data; cache ≤ 48 h). */
  CA_RDAP_BOOTSTRAP_URL: z.string().default('https://data.iana.org/rdap/dns.json'),
  // Issue #4: pre-issuance linting and CT (docs/ISSUANCE-CYCLE.md steps 6, 8, 10).
  /** Linters run on every to-be-signed certificate (comma-separated: zlint, pkilint). */
  CA_LINTERS: z.string().default('zlint,pkilint'),
  /** Paths of the linter binaries; default: on PATH, else $(go env GOPATH)/bin for zlint. */
  CA_ZLINT_BIN: z.string().optional(),
  CA_PKILINT_BIN: z.string().optional(),
  /** CT submission of the precertificate (step 8). 'off' only for development/benchmark baselines. */
  CA_CT_SUBMISSION: z.enum(['on', 'off']).default('on'),
  /** The log list (JSON, see activities/ct/log-list.ts); development: written by the local TesseraCT logs. */
  CA_CT_LOG_LIST: z.string().optional(),
  /** Deadline for meeting the CT policy; past it the order fails and the presumed certificate is revoked. */
  CA_CT_DEADLINE_SECONDS: z.coerce.number().int().min(1).default(120),
  /** Per-attempt timeout of one add-pre-chain call (retried with backoff until the deadline). */
  CA_CT_ATTEMPT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(15),
  // Issue #5: CRLs (CP 4.9.7, BR 4.9.7): at least every 7 days, nextUpdate <= thisUpdate + 10 days.
  /** Interval of the CRL Temporal Schedule per issuing CA (seconds; at most 7 days). */
  CA_CRL_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(7 * 86_400).default(86_400),
  /** nextUpdate - thisUpdate (seconds; at most 10 days). */
  CA_CRL_VALIDITY_SECONDS: z.coerce.number().int().min(3_600).max(10 * 86_400).default(7 * 86_400),
  /** Debounce after a revocation: the CRL is published once no revocation came for this long (seconds)... */
  CA_CRL_QUIET_SECONDS: z.coerce.number().min(0).default(5),
  /** ...but never later than this after the first one (seconds; BR 4.9.7 allows 24 h, we aim for minutes). */
  CA_CRL_MAX_DELAY_SECONDS: z.coerce.number().min(1).max(86_400).default(120),
  // Issue #5: OCSP timing (BR 4.9.10, CP 7.3), checked by domain/ocsp.ts ocspTimingViolations when loaded.
  /** nextUpdate − thisUpdate of the pre-signed responses (8 h – 10 days). */
  CA_OCSP_RESPONSE_VALIDITY_SECONDS: z.coerce.number().int().default(48 * 3600),
  /** Responses are re-signed once older than this (refreshed ≥ 8 h before nextUpdate, within 4 days). */
  CA_OCSP_REFRESH_AFTER_SECONDS: z.coerce.number().int().default(24 * 3600),
  /** Interval of the ocsp-refresh Temporal Schedule (responses and responder certificates). */
  CA_OCSP_SCHEDULE_INTERVAL_SECONDS: z.coerce.number().int().default(3600),
  /** Validity of the delegated responder certificate (CP 7.3 example: 4 days) and when it is renewed. */
  CA_OCSP_RESPONDER_VALIDITY_SECONDS: z.coerce.number().int().default(4 * 86_400),
  CA_OCSP_RESPONDER_RENEW_BEFORE_SECONDS: z.coerce.number().int().default(60 * 3600),
  /**
   * How long the API keeps a response in memory before it reads the database again (seconds). Changes reach it at
   * once by LISTEN/NOTIFY; this TTL only bounds staleness should a notification be lost.
   */
  CA_OCSP_CACHE_SECONDS: z.coerce.number().min(0).default(30),
  /** Port of the standalone OCSP responder process (api/ocsp-server.ts); the API also serves /ocsp/<id>. */
  CA_OCSP_PORT: z.coerce.number().int().default(8081),
  // Issue #6: the ACME server (RFC 8555), served over HTTPS on its own port (api/acme/server.ts).
  /** 0 = a free port (tests). */
  CA_ACME_PORT: z.coerce.number().int().min(0).default(8443),
  /** The directory's base URL as clients see it; default https://127.0.0.1:<port>/acme. */
  CA_ACME_PUBLIC_URL: z.string().url().optional(),
  /** RFC 8555 §7.3.4: newAccount requires external account binding. Default: on in production, off in development. */
  CA_ACME_EAB_REQUIRED: z.enum(['on', 'off']).optional(),
  /** TLS key and certificate (PEM, chain) of the ACME listener; default <data>/acme-tls/ (made by npm start from the stand-in root). */
  CA_ACME_TLS_KEY: z.string().optional(),
  CA_ACME_TLS_CERT: z.string().optional(),
  CA_ACME_TERMS_URL: z.string().url().default('https://jprs.jp/pubcert/info/repository/'),
  CA_ACME_WEBSITE: z.string().url().default('https://jprs.jp/pubcert/'),
});

export type IssuingCaId = 'dv' | 'ov';

export interface CaUrls {
  crl: string;
  ocsp: string;
  caIssuers: string;
}

export interface CaConfig {
  readonly environment: 'development' | 'production';
  readonly dataDir: string;
  readonly database: { readonly url: string; readonly managedPort: number | undefined };
  readonly temporal: {
    readonly address: string;
    readonly namespace: string;
    readonly uiPort: number;
    readonly taskQueue: string;
    readonly signingTaskQueue: string;
  };
  readonly hsm: {
    readonly modulePath: string;
    readonly tokenLabel: string;
    readonly pin: string | undefined;
    readonly pinFile: string;
    readonly soPinFile: string;
    readonly softhsmConf: string;
    readonly sessions: number;
  };
  readonly api: { readonly host: string; readonly port: number; readonly publicBaseUrl: string };
  readonly dns: {
    readonly resolver: { readonly host: string; readonly port: number };
    readonly devPort: number;
    readonly devAdminPort: number;
    readonly devZone: string;
    readonly devRecordsFile: string;
  };
  readonly caaIssuerDomain: string;
  readonly cps: { readonly url: string; readonly qualifier: boolean };
  /** URLs that go into certificates, per issuing CA and for the (stand-in) root. */
  readonly urls: Readonly<Record<IssuingCaId | 'root', CaUrls>>;
  readonly dcvCheckWindowSeconds: number;
  /** Issue #3: MPIC perspectives (BR 3.2.2.9). */
  readonly mpic: {
    readonly primaryRegion: string;
    readonly perspectives: readonly PerspectiveConfig[];
    readonly perspectiveId: string | undefined;
  };
  /** Issue #3: the HTTP fetcher of BR 3.2.2.4.18/.19 (activities/validation/http-fetch.ts). */
  readonly dcvHttp: { readonly allowLoopback: boolean };
  /** Issue #3: the SMTP relay of the constructed e-mail method (CP 3.2.2.4.4); url null = the method is not offered. */
  readonly smtp: { readonly url: string | null; readonly from: string };
  /** Issue #3: CP 3.2.2.4.12 (the CA is the registrar): which domains, and where RDAP bootstrap data comes from. */
  readonly registrar: { readonly domains: readonly string[]; readonly rdapBootstrapUrl: string };
  /** Issue #3, development only: CAA tree climbing stops at the dev zone the dev DNS server is authoritative for. */
  readonly caaClimbStopsAt: string | undefined;
  readonly lint: { readonly linters: readonly ('zlint' | 'pkilint')[]; readonly zlintBin?: string; readonly pkilintBin?: string };
  readonly ct: {
    readonly submission: boolean;
    readonly logListFile: string;
    readonly deadlineSeconds: number;
    readonly attemptTimeoutSeconds: number;
  };
  readonly crl: {
    readonly intervalSeconds: number;
    readonly validitySeconds: number;
    readonly quietSeconds: number;
    readonly maxDelaySeconds: number;
  };
  readonly ocsp: { readonly timing: OcspTiming; readonly cacheSeconds: number; readonly port: number };
  readonly acme: {
    readonly port: number;
    /** Null when CA_ACME_PUBLIC_URL is not set: then https://127.0.0.1:<bound port>/acme. */
    readonly publicUrl: string | null;
    readonly eabRequired: boolean;
    readonly tlsKeyFile: string;
    readonly tlsCertFile: string;
    readonly termsOfService: string;
    readonly website: string;
  };
}

/** One remote network perspective (BR 3.2.2.9): its own worker, task queue, resolver and RIR region. */
export interface PerspectiveConfig {
  readonly id: string;
  readonly region: string;
  readonly taskQueue: string;
  readonly resolver: { readonly host: string; readonly port: number };
}

/** Development: five local perspectives, one per RIR label (they share the machine, not a network — see docs). */
const devPerspectives = 'dev-arin:ARIN,dev-ripe:RIPE,dev-apnic:APNIC,dev-lacnic:LACNIC,dev-afrinic:AFRINIC';

function parsePerspectives(value: string, defaultResolver: { host: string; port: number }): PerspectiveConfig[] {
  const out: PerspectiveConfig[] = [];
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9][a-z0-9-]*):([A-Za-z]+)(?:@(.+))?$/.exec(item);
    if (!m) throw new Error(`CA_PERSPECTIVES: expected id:RIR[@host:port], got ${item}`);
    if (out.some((p) => p.id === m[1])) throw new Error(`CA_PERSPECTIVES: duplicate perspective ${m[1]}`);
    out.push({ id: m[1]!, region: m[2]!.toUpperCase(), taskQueue: `perspective-${m[1]}`, resolver: m[3] ? hostPort(m[3]) : defaultResolver });
  }
  return out;
}

function hostPort(value: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value);
  if (!m) throw new Error(`expected host:port, got ${value}`);
  return { host: m[1]!, port: Number(m[2]) };
}

function parseLinters(value: string): ('zlint' | 'pkilint')[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (n !== 'zlint' && n !== 'pkilint') throw new Error(`CA_LINTERS: unknown linter ${n}`);
  // POLICY-2026.md: pre-issuance linting is a SHALL — at least one linter always runs.
  if (names.length === 0) throw new Error('CA_LINTERS must name at least one linter (zlint, pkilint)');
  return names as ('zlint' | 'pkilint')[];
}

/** The OCSP timing from the environment; refuses to start with a timing that breaks BR 4.9.10 (domain/ocsp.ts). */
function ocspTiming(e: z.infer<typeof env>): OcspTiming {
  const timing: OcspTiming = {
    responseValiditySeconds: e.CA_OCSP_RESPONSE_VALIDITY_SECONDS,
    refreshAfterSeconds: e.CA_OCSP_REFRESH_AFTER_SECONDS,
    scheduleIntervalSeconds: e.CA_OCSP_SCHEDULE_INTERVAL_SECONDS,
    responderValiditySeconds: e.CA_OCSP_RESPONDER_VALIDITY_SECONDS,
    responderRenewBeforeSeconds: e.CA_OCSP_RESPONDER_RENEW_BEFORE_SECONDS,
  };
  const violations = ocspTimingViolations(timing);
  if (violations.length > 0) throw new Error(`OCSP timing: ${violations.join('; ')}`);
  return timing;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): CaConfig {
  const e = env.parse(source);
  const base = (e.CA_PUBLIC_BASE_URL ?? `http://${e.CA_API_HOST}:${e.CA_API_PORT}`).replace(/\/$/, '');
  // The URLs put into certificates. Without CA_PUBLIC_BASE_URL (development, tests) they use JPRS's documentation
  // domain example.jp, not 127.0.0.1: the pre-issuance linters (step 6) rightly refuse internal names in the CRL DP
  // and AIA (pkilint cabf.internal_domain_name, BR 7.1.2.7.7/7.1.2.7.8), and a lint error is never accepted.
  const certBase = (e.CA_PUBLIC_BASE_URL ?? 'http://ca.example.jp').replace(/\/$/, '');
  const urlsFor = (id: IssuingCaId | 'root'): CaUrls => ({
    crl: `${certBase}/repository/crl/${id}.crl`,
    ocsp: `${certBase}/ocsp/${id}`,
    caIssuers: `${certBase}/repository/ca/${id}.cer`,
  });
  const secrets = path.join(e.CA_DATA_DIR, 'secrets');
  return Object.freeze({
    environment: e.CA_ENV,
    dataDir: e.CA_DATA_DIR,
    database: {
      url: e.DATABASE_URL ?? `postgres://ca@127.0.0.1:${e.CA_PG_PORT}/ca`,
      managedPort: e.DATABASE_URL ? undefined : e.CA_PG_PORT,
    },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      uiPort: e.TEMPORAL_UI_PORT,
      taskQueue: e.CA_TASK_QUEUE,
      signingTaskQueue: e.CA_SIGNING_TASK_QUEUE,
    },
    hsm: {
      modulePath: e.PKCS11_MODULE,
      tokenLabel: e.HSM_TOKEN_LABEL,
      pin: e.HSM_PIN,
      pinFile: path.join(secrets, 'hsm-user-pin'),
      soPinFile: path.join(secrets, 'hsm-so-pin'),
      softhsmConf: path.join(e.CA_DATA_DIR, 'softhsm', 'softhsm2.conf'),
      sessions: e.HSM_SESSIONS,
    },
    api: { host: e.CA_API_HOST, port: e.CA_API_PORT, publicBaseUrl: base },
    dns: {
      resolver: hostPort(e.CA_DNS_RESOLVER),
      devPort: e.CA_DEV_DNS_PORT,
      devAdminPort: e.CA_DEV_DNS_ADMIN_PORT,
      devZone: e.CA_DEV_ZONE,
      devRecordsFile: path.join(e.CA_DATA_DIR, 'dns', 'records.json'),
    },
    caaIssuerDomain: e.CA_CAA_ISSUER_DOMAIN,
    cps: { url: e.CA_CPS_URL, qualifier: e.CA_CPS_QUALIFIER === 'on' },
    urls: { dv: urlsFor('dv'), ov: urlsFor('ov'), root: urlsFor('root') },
    dcvCheckWindowSeconds: e.CA_DCV_CHECK_WINDOW_SECONDS,
    mpic: {
      primaryRegion: e.CA_PRIMARY_REGION.toUpperCase(),
      perspectives: parsePerspectives(e.CA_PERSPECTIVES ?? (e.CA_ENV === 'development' ? devPerspectives : ''), hostPort(e.CA_DNS_RESOLVER)),
      perspectiveId: e.CA_PERSPECTIVE_ID,
    },
    dcvHttp: { allowLoopback: e.CA_ENV === 'development' && (e.CA_DCV_HTTP_ALLOW_LOOPBACK ?? 'on') === 'on' },
    caaClimbStopsAt: e.CA_ENV === 'development' ? e.CA_DEV_ZONE.toLowerCase() : undefined,
    smtp: { url: e.CA_SMTP_URL ?? null, from: e.CA_SMTP_FROM ?? `domain-validation@${e.CA_CAA_ISSUER_DOMAIN}` },
    registrar: {
      domains: e.CA_REGISTRAR_DOMAINS.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean),
      rdapBootstrapUrl: e.CA_RDAP_BOOTSTRAP_URL,
    },
    lint: { linters: parseLinters(e.CA_LINTERS), zlintBin: e.CA_ZLINT_BIN, pkilintBin: e.CA_PKILINT_BIN },
    ct: {
      // BR/Chrome/Apple: a certificate without embedded SCTs is untrusted; production never skips CT.
      submission: e.CA_CT_SUBMISSION === 'on' || e.CA_ENV === 'production',
      logListFile: e.CA_CT_LOG_LIST ?? path.join(e.CA_DATA_DIR, 'ct', 'log-list.json'),
      deadlineSeconds: e.CA_CT_DEADLINE_SECONDS,
      attemptTimeoutSeconds: e.CA_CT_ATTEMPT_TIMEOUT_SECONDS,
    },
    crl: {
      intervalSeconds: e.CA_CRL_INTERVAL_SECONDS,
      validitySeconds: e.CA_CRL_VALIDITY_SECONDS,
      quietSeconds: e.CA_CRL_QUIET_SECONDS,
      maxDelaySeconds: e.CA_CRL_MAX_DELAY_SECONDS,
    },
    ocsp: { timing: ocspTiming(e), cacheSeconds: e.CA_OCSP_CACHE_SECONDS, port: e.CA_OCSP_PORT },
    acme: {
      port: e.CA_ACME_PORT,
      publicUrl: e.CA_ACME_PUBLIC_URL?.replace(/\/$/, '') ?? null,
      eabRequired: (e.CA_ACME_EAB_REQUIRED ?? (e.CA_ENV === 'production' ? 'on' : 'off')) === 'on',
      tlsKeyFile: e.CA_ACME_TLS_KEY ?? path.join(e.CA_DATA_DIR, 'acme-tls', 'key.pem'),
      tlsCertFile: e.CA_ACME_TLS_CERT ?? path.join(e.CA_DATA_DIR, 'acme-tls', 'cert.pem'),
      termsOfService: e.CA_ACME_TERMS_URL,
      website: e.CA_ACME_WEBSITE,
    },
  });
}
