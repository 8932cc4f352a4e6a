/**
 * Configuration, parsed once from the environment into a deep-frozen object (docs/ARCHITECTURE.md, "Configuration").
 * Each setting is written once, below: its environment variable, how it is parsed, its default and why. The nested
 * schema is the shape of the configuration; the final transform only adds what is derived from several settings.
 * Local defaults bring up a self-contained development CA under ./data; every value can be overridden by env.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ocspTimingViolations } from '../domain/ocsp';
import { languages } from '../domain/statuses';
import { deepFreeze, type DeepReadonly, hostPort, onOff, parseEnv, parseLinters, parsePerspectives, setting, settingVariables } from './settings';

export type { PerspectiveConfig } from './settings';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const int = () => z.coerce.number().int();
const seconds = () => z.coerce.number().int().min(1);

const settingsShape = z.object({
  environment: setting('CA_ENV', z.enum(['development', 'production']).default('development')),
  /** All local state of `npm start` (PostgreSQL cluster, token, secrets, logs); the default paths below live here. */
  dataDir: setting('CA_DATA_DIR', z.string().default(path.join(repoRoot, 'data'))),
  /** Structured JSON logs of every process (observability/log.ts) and of the Temporal SDK in the workers. */
  log: z.object({
    level: setting('CA_LOG_LEVEL', z.string().default('INFO').transform((v) => v.toUpperCase()).pipe(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']))),
  }),
  /** Prometheus metrics (observability/metrics.ts); the doors also serve /metrics on their own port. */
  metrics: z.object({
    /** Address of the metrics listeners below; loopback by default (Prometheus runs beside the processes). */
    host: setting('CA_METRICS_HOST', z.string().default('127.0.0.1')),
    /** This process's /metrics listener (the workers have no other HTTP port); 0 = none. */
    port: setting('CA_METRICS_PORT', int().min(0).max(65_535).default(0)),
    /** A worker's Temporal SDK metrics (`ca_temporal_*`, its runtime's own Prometheus exporter); 0 = none. */
    temporalPort: setting('CA_TEMPORAL_METRICS_PORT', int().min(0).max(65_535).default(0)),
  }),
  database: z.object({
    /**
     * What every service connects as: the RUNTIME role, a member of `ca_runtime` (db/migrations/0011_database_roles.sql:
     * only the privileges the services use). An existing PostgreSQL; unset: the private cluster `npm start` runs on `port`.
     */
    url: setting('DATABASE_URL', z.string().optional()),
    /** The OWNER role, which runs the migrations (`npm run db:migrate`); never given to a service. */
    ownerUrl: setting('DATABASE_OWNER_URL', z.string().optional()),
    /**
     * The password of DATABASE_URL's role, read from this file (a secret readable by the process's own OS user only,
     * docs/DEPLOYMENT.md) rather than written into the URL or the environment.
     */
    passwordFile: setting('DATABASE_PASSWORD_FILE', z.string().optional()),
    port: setting('CA_PG_PORT', int().default(5433)),
  }),
  temporal: z.object({
    address: setting('TEMPORAL_ADDRESS', z.string().default('127.0.0.1:7233')),
    namespace: setting('TEMPORAL_NAMESPACE', z.string().default('default')),
    uiPort: setting('TEMPORAL_UI_PORT', int().default(8233)),
    taskQueue: setting('CA_TASK_QUEUE', z.string().default('ca-main')),
    /** The signing worker's own queue: only the process that holds the HSM session polls it (CP 6.2). */
    signingTaskQueue: setting('CA_SIGNING_TASK_QUEUE', z.string().default('ca-signing')),
    /**
     * mTLS to the Temporal frontend (the production topology, docs/DEPLOYMENT.md): PEM files of the operations CA that
     * issued the frontend's certificate, and of this process's client certificate and key. Unset: plaintext (the
     * development server, which has no TLS). temporal/connection.ts is the one place that reads them.
     */
    tls: z
      .object({
        ca: setting('TEMPORAL_TLS_CA', z.string().optional()),
        cert: setting('TEMPORAL_TLS_CERT', z.string().optional()),
        key: setting('TEMPORAL_TLS_KEY', z.string().optional()),
        /** The name the frontend's certificate carries, when the address is not it (an IP, a veth address). */
        serverName: setting('TEMPORAL_TLS_SERVER_NAME', z.string().optional()),
      })
      .superRefine((tls, ctx) => {
        if ((tls.cert === undefined) !== (tls.key === undefined)) ctx.addIssue({ code: 'custom', message: 'a client certificate needs its key (set both or neither)' });
      }),
    /**
     * How long an order may wait for the CA itself (PostgreSQL, the HSM, a worker) without taking a step before its
     * workflow shows it as stuck (search attribute CaStatus=stuck, progress query); docs/RELIABILITY.md.
     */
    stuckAfterSeconds: setting('CA_STUCK_AFTER_SECONDS', seconds().default(900)),
  }),
  hsm: z.object({
    modulePath: setting('PKCS11_MODULE', z.string().default('/usr/lib/softhsm/libsofthsm2.so')),
    tokenLabel: setting('HSM_TOKEN_LABEL', z.string().default('jprs-ca')),
    /** The user PIN; when absent it is read from HSM_PIN_FILE (default <dataDir>/secrets/hsm-user-pin, made by the token setup). */
    pin: setting('HSM_PIN', z.string().optional()),
    pinFile: setting('HSM_PIN_FILE', z.string().optional()),
    sessions: setting('HSM_SESSIONS', int().min(1).max(64).default(4)),
  }),
  api: z.object({
    host: setting('CA_API_HOST', z.string().default('127.0.0.1')),
    port: setting('CA_API_PORT', int().default(8080)),
    /** Base of the URLs put into certificates (CRL DP, OCSP, caIssuers): BR 7.1.2.7.7/7.1.2.7.8 want plain http. */
    publicBaseUrl: setting('CA_PUBLIC_BASE_URL', z.string().url().optional()),
    /** The applicant API also listens on HTTPS on this port (API keys travel in headers); 0 = a free port (tests). */
    tlsPort: setting('CA_API_TLS_PORT', int().min(0).default(8444)),
    /** The API's own base URL, for Location headers and links to its resources: https. Default https://<host>:<tlsPort>. */
    url: setting('CA_API_URL', z.string().url().optional()),
    /** TLS key and certificate (PEM) of the HTTPS listener; default: the ACME listener's (development: scripts/lib/acme-tls.ts). */
    tlsKeyFile: setting('CA_API_TLS_KEY', z.string().optional()),
    tlsCertFile: setting('CA_API_TLS_CERT', z.string().optional()),
  }),
  dns: z.object({
    /** Resolver used for DCV and CAA lookups (host:port). Development: the local authoritative dev DNS server. */
    resolver: setting('CA_DNS_RESOLVER', z.string().default('127.0.0.1:8053').transform(hostPort)),
    devPort: setting('CA_DEV_DNS_PORT', int().default(8053)),
    devAdminPort: setting('CA_DEV_DNS_ADMIN_PORT', int().default(8055)),
    /** The zone the development DNS server is authoritative for; names under it are the README tour's names. */
    devZone: setting('CA_DEV_ZONE', z.string().default('dev.test')),
  }),
  /** CP 4.2.4: this CA's CAA issuer domain name. */
  caaIssuerDomain: setting('CA_CAA_ISSUER_DOMAIN', z.string().default('jprs.jp')),
  cps: z.object({
    /** CP 7.1.1: the CPS qualifier of the CP policy OID. */
    url: setting('CA_CPS_URL', z.string().default('http://jprs.jp/pubcert/info/repository/')),
    /** BR 7.1.2.7.9 says policy qualifiers are NOT RECOMMENDED, so the CPS qualifier can be switched off. */
    qualifier: setting('CA_CPS_QUALIFIER', onOff('on')),
  }),
  /** How long the workflow keeps re-checking a DNS record after the applicant said it is ready (seconds). */
  dcvCheckWindowSeconds: setting('CA_DCV_CHECK_WINDOW_SECONDS', seconds().default(600)),
  /** Multi-perspective issuance corroboration (BR 3.2.2.9), docs/VALIDATION.md. */
  mpic: z.object({
    /** RIR region label of the primary perspective (where the main worker runs). */
    primaryRegion: setting('CA_PRIMARY_REGION', z.string().default('APNIC').transform((r) => r.toUpperCase())),
    /**
     * Remote perspectives, comma-separated `id:RIR[@resolverHost:port]`; each is a worker on task queue
     * `perspective-<id>` (worker/perspective.ts). Development default: five local perspectives on the dev resolver.
     * Production default: none — issuance then fails closed (BR 3.2.2.9 quorum).
     */
    perspectives: setting('CA_PERSPECTIVES', z.string().optional()),
    /** worker/perspective.ts: run only this perspective (a deployment in one region); unset = all configured. */
    perspectiveId: setting('CA_PERSPECTIVE_ID', z.string().optional()),
  }),
  /** The HTTP fetcher of BR 3.2.2.4.18/.19 (activities/validation/http-fetch.ts). */
  dcvHttp: z.object({
    /** BR 3.2.2.4.18/.19 fetches refuse non-public addresses; development may allow loopback (local test web servers). */
    allowLoopback: setting('CA_DCV_HTTP_ALLOW_LOOPBACK', z.enum(['on', 'off']).optional()),
  }),
  /** The SMTP relay of the constructed e-mail method (CP 3.2.2.4.4) and of the subscribers' notices (CP 4.3.2, 4.9). */
  smtp: z.object({
    /** A nodemailer URL, e.g. smtp://127.0.0.1:25; unset: the method is not offered and notices fail (`notices failed`). */
    url: setting('CA_SMTP_URL', z.string().optional()),
    from: setting('CA_SMTP_FROM', z.string().optional()),
    /** The sender of the notices (issuance, revocation, expiry reminders); its domain names their Message-IDs. */
    noticeFrom: setting('CA_NOTICE_FROM', z.string().optional()),
  }),
  /** OV organization vetting (CP 3.2.2.1, 3.2.5): its notices and the operators' vetting-queue page. */
  vetting: z.object({
    /** Sender of the vetting notices; default ov-vetting@<CAA issuer domain>. */
    from: setting('CA_VETTING_FROM', z.string().optional()),
    /** The vetting agents' mailbox: reminders of vettings waiting over 24 h. Default vetting-queue@<CAA issuer domain>. */
    queueEmail: setting('CA_VETTING_QUEUE_EMAIL', z.string().optional()),
    /** Lifetime of an operator's session on the vetting-queue page (seconds; default 8 h, one working day). */
    sessionSeconds: setting('CA_OPERATOR_SESSION_SECONDS', seconds().max(86_400).default(8 * 3600)),
  }),
  /** CP 3.2.2.4.12 (the CA is the registrar): which domains, and where RDAP bootstrap data comes from. */
  registrar: z.object({
    /** Registered domains (or `*.suffix`) this CA is the registrar of, comma-separated; empty = method off. */
    domains: setting('CA_REGISTRAR_DOMAINS', z.string().default('').transform((v) => v.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean))),
    /** RFC 9224 IANA RDAP bootstrap for DNS (BR 3.2.2.4.12: start from IANA's data; cache ≤ 48 h). */
    rdapBootstrapUrl: setting('CA_RDAP_BOOTSTRAP_URL', z.string().default('https://data.iana.org/rdap/dns.json')),
  }),
  /** Pre-issuance linting (POLICY-2026.md; docs/ISSUANCE-CYCLE.md step 6). */
  lint: z.object({
    /** Linters run on every to-be-signed certificate (comma-separated: zlint, pkilint). */
    linters: setting('CA_LINTERS', z.string().default('zlint,pkilint').transform(parseLinters)),
    /** Paths of the linter binaries; default: on PATH, else $(go env GOPATH)/bin for zlint. */
    zlintBin: setting('CA_ZLINT_BIN', z.string().optional()),
    pkilintBin: setting('CA_PKILINT_BIN', z.string().optional()),
  }),
  /** Certificate Transparency (CP 4.3.1; docs/ISSUANCE-CYCLE.md steps 8 and 10). */
  ct: z.object({
    /** CT submission of the precertificate (step 8). 'off' only for development/benchmark baselines. */
    submission: setting('CA_CT_SUBMISSION', onOff('on')),
    /** The log list (JSON, see activities/ct/log-list.ts); default: the local TesseraCT logs' <dataDir>/ct/log-list.json. */
    logListFile: setting('CA_CT_LOG_LIST', z.string().optional()),
    /** Deadline for meeting the CT policy; past it the order fails and the presumed certificate is revoked. */
    deadlineSeconds: setting('CA_CT_DEADLINE_SECONDS', seconds().default(120)),
    /** Per-attempt timeout of one add-pre-chain call (retried with backoff until the deadline). */
    attemptTimeoutSeconds: setting('CA_CT_ATTEMPT_TIMEOUT_SECONDS', seconds().default(15)),
  }),
  /** CRLs (CP 4.9.7, BR 4.9.7): at least every 7 days, nextUpdate <= thisUpdate + 10 days. */
  crl: z.object({
    /** Interval of the CRL Temporal Schedule per issuing CA (seconds; at most 7 days). */
    intervalSeconds: setting('CA_CRL_INTERVAL_SECONDS', seconds().max(7 * 86_400).default(86_400)),
    /** nextUpdate - thisUpdate (seconds; at most 10 days). */
    validitySeconds: setting('CA_CRL_VALIDITY_SECONDS', int().min(3_600).max(10 * 86_400).default(7 * 86_400)),
    /** Debounce after a revocation: the CRL is published once no revocation came for this long (seconds)... */
    quietSeconds: setting('CA_CRL_QUIET_SECONDS', z.coerce.number().min(0).default(5)),
    /** ...but never later than this after the first one (seconds; BR 4.9.7 allows 24 h, we aim for minutes). */
    maxDelaySeconds: setting('CA_CRL_MAX_DELAY_SECONDS', z.coerce.number().min(1).max(86_400).default(120)),
  }),
  ocsp: z.object({
    /** OCSP timing (BR 4.9.10, CP 7.3): refused at load when it breaks a rule of domain/ocsp.ts. */
    timing: z.object({
      /** nextUpdate − thisUpdate of the pre-signed responses (8 h – 10 days). */
      responseValiditySeconds: setting('CA_OCSP_RESPONSE_VALIDITY_SECONDS', int().default(48 * 3600)),
      /** Responses are re-signed once older than this (refreshed ≥ 8 h before nextUpdate, within 4 days). */
      refreshAfterSeconds: setting('CA_OCSP_REFRESH_AFTER_SECONDS', int().default(24 * 3600)),
      /** Interval of the ocsp-refresh Temporal Schedule (responses and responder certificates). */
      scheduleIntervalSeconds: setting('CA_OCSP_SCHEDULE_INTERVAL_SECONDS', int().default(3600)),
      /** Validity of the delegated responder certificate (CP 7.3 example: 4 days)... */
      responderValiditySeconds: setting('CA_OCSP_RESPONDER_VALIDITY_SECONDS', int().default(4 * 86_400)),
      /** ...and how long before its notAfter it is renewed. */
      responderRenewBeforeSeconds: setting('CA_OCSP_RESPONDER_RENEW_BEFORE_SECONDS', int().default(60 * 3600)),
    }).superRefine((timing, ctx) => {
      for (const message of ocspTimingViolations(timing)) ctx.addIssue({ code: 'custom', message });
    }),
    /**
     * How long the API keeps a response in memory before it reads the database again (seconds). Changes reach it at
     * once by LISTEN/NOTIFY; this TTL only bounds staleness should a notification be lost.
     */
    cacheSeconds: setting('CA_OCSP_CACHE_SECONDS', z.coerce.number().min(0).default(30)),
    /** Port of the standalone OCSP responder process (api/ocsp-server.ts); the API also serves /ocsp/<id>. */
    port: setting('CA_OCSP_PORT', int().default(8081)),
  }),
  /** The audit log (CP 5.4): its signed checkpoints (workflows/auditCheckpoint.ts). */
  audit: z.object({
    /** Interval of the audit-checkpoint Temporal Schedule: the longest stretch of log a rewrite could hide in. */
    checkpointIntervalSeconds: setting('CA_AUDIT_CHECKPOINT_INTERVAL_SECONDS', seconds().max(86_400).default(600)),
  }),
  /** The operator's duties as workflows (CP 4.9.1, 5.6; BR 4.9.1.1, 8.7): docs/OPERATIONS.md. */
  operator: z.object({
    /**
     * An incident's revocation rate unless the operator gives one (certificates/s): slow enough that CRL generation,
     * OCSP signing and the database keep up with issuance; raised automatically when only a faster one meets the
     * BR 4.9.1.1 deadline.
     */
    incidentRatePerSecond: setting('CA_INCIDENT_REVOCATIONS_PER_SECOND', z.coerce.number().positive().default(20)),
    /** CP 5.6: the changeover starts this many days before the latest switch (the external root's signing takes time). */
    changeoverLeadDays: setting('CA_KEY_CHANGEOVER_LEAD_DAYS', int().min(1).default(60)),
    /** How often the changeover reminds the operators while it waits for the root's certificate (seconds). */
    changeoverReminderSeconds: setting('CA_KEY_CHANGEOVER_REMINDER_SECONDS', seconds().default(86_400)),
    /** Where operator notices go (changeover reminders, the self-audit report); default ca-operators@<CAA issuer domain>. */
    email: setting('CA_OPERATOR_EMAIL', z.string().optional()),
    /** The language of the operator notices (ja or en), through the notices outbox like every notice. */
    language: setting('CA_OPERATOR_LANGUAGE', z.enum(languages).default('ja')),
  }),
  /** The ACME server (RFC 8555), served over HTTPS on its own port (api/acme/server.ts). */
  acme: z.object({
    /** 0 = a free port (tests). */
    port: setting('CA_ACME_PORT', int().min(0).default(8443)),
    /** The directory's base URL as clients see it; unset (null): https://127.0.0.1:<bound port>/acme. */
    publicUrl: setting('CA_ACME_PUBLIC_URL', z.string().url().optional().transform((u) => u?.replace(/\/$/, '') ?? null)),
    /** RFC 8555 §7.3.4: newAccount requires external account binding. Default: on in production, off in development. */
    eabRequired: setting('CA_ACME_EAB_REQUIRED', z.enum(['on', 'off']).optional()),
    /** TLS key and certificate (PEM, chain) of the ACME listener; default <data>/acme-tls/ (made by npm start from the stand-in root). */
    tlsKeyFile: setting('CA_ACME_TLS_KEY', z.string().optional()),
    tlsCertFile: setting('CA_ACME_TLS_CERT', z.string().optional()),
    /** The directory's meta.termsOfService; default: the current terms in this CA's repository (CP 4.1.2). */
    termsOfService: setting('CA_ACME_TERMS_URL', z.string().url().optional()),
    website: setting('CA_ACME_WEBSITE', z.string().url().default('https://jprs.jp/pubcert/')),
    /**
     * RFC 8555 §6.5: the HMAC key that makes nonces unforgeable, shared by every ACME process of the deployment (a
     * nonce issued by one is accepted by another; used ones are kept in PostgreSQL). Default <data>/secrets/acme-nonce-key.
     */
    nonceKeyFile: setting('CA_ACME_NONCE_KEY_FILE', z.string().optional()),
    /**
     * How long a finalize request waits for the certificate before answering (RFC 8555 §7.4: a `valid` order with its
     * certificate URL, else `processing` with Retry-After). Clients poll a processing order every few seconds (lego
     * every 2 s, certbot every 1–3 s), so a short wait saves them a round of polling; 0 answers at once.
     */
    finalizeWaitSeconds: setting('CA_ACME_FINALIZE_WAIT_SECONDS', z.coerce.number().min(0).max(30).default(5)),
    /** RFC 8555 §7.3.4: the key that encrypts EAB HMAC keys at rest (AES-256-GCM). Default <data>/secrets/eab-encryption-key. */
    eabEncryptionKeyFile: setting('CA_EAB_ENCRYPTION_KEY_FILE', z.string().optional()),
  }),
});

export type IssuingCaId = 'dv' | 'ov';

export interface CaUrls {
  crl: string;
  ocsp: string;
  caIssuers: string;
}

/** The repository URLs of one issuing key (issuers.id): every key of a CA has its own (CP 5.6, docs/OPERATIONS.md). */
function urlsOfIssuer(certificateBaseUrl: string, issuerId: string): CaUrls {
  return {
    crl: `${certificateBaseUrl}/repository/crl/${issuerId}.crl`,
    ocsp: `${certificateBaseUrl}/ocsp/${issuerId}`,
    caIssuers: `${certificateBaseUrl}/repository/ca/${issuerId}.cer`,
  };
}

/**
 * The CRL DP, OCSP and caIssuers URLs of an issuing key: a CA's first key ('dv') keeps the URLs its certificates
 * carry; a later key ('dv-k2') gets its own, so each CRL and responder speaks for exactly one key.
 */
export function issuerUrls(config: Pick<CaConfig, 'certificateBaseUrl'>, issuerId: string): CaUrls {
  return urlsOfIssuer(config.certificateBaseUrl, issuerId);
}

/** Development: five local perspectives, one per RIR label (they share the machine, not a network — see docs). */
const devPerspectives = 'dev-arin:ARIN,dev-ripe:RIPE,dev-apnic:APNIC,dev-lacnic:LACNIC,dev-afrinic:AFRINIC';

/** DATABASE_URL with the password of DATABASE_PASSWORD_FILE (trailing newline dropped) put in, URL-encoded. */
function withPasswordFrom(file: string | undefined, url: string): string {
  if (file === undefined) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(readFileSync(file, 'utf8').replace(/\r?\n$/, ''));
  return u.toString();
}

/** The values that depend on more than one setting (defaults under dataDir, development-only behaviour, URLs). */
function derived(s: z.output<typeof settingsShape>) {
  const development = s.environment === 'development';
  const secrets = path.join(s.dataDir, 'secrets');
  const acmeTls = {
    keyFile: s.acme.tlsKeyFile ?? path.join(s.dataDir, 'acme-tls', 'key.pem'),
    certFile: s.acme.tlsCertFile ?? path.join(s.dataDir, 'acme-tls', 'cert.pem'),
  };
  // The URLs put into certificates. Without CA_PUBLIC_BASE_URL (development, tests) they use JPRS's documentation
  // domain example.jp, not 127.0.0.1: the pre-issuance linters (step 6) rightly refuse internal names in the CRL DP
  // and AIA (pkilint cabf.internal_domain_name, BR 7.1.2.7.7/7.1.2.7.8), and a lint error is never accepted.
  const certBase = (s.api.publicBaseUrl ?? 'http://ca.example.jp').replace(/\/$/, '');
  /** Where clients reach the API (links in notices, the ACME terms): the public base URL, else the local listener. */
  const apiBase = (s.api.publicBaseUrl ?? `http://${s.api.host}:${s.api.port}`).replace(/\/$/, '');
  const urlsFor = (id: IssuingCaId | 'root'): CaUrls => urlsOfIssuer(certBase, id);
  return {
    ...s,
    database: {
      // The private cluster's roles (scripts/lib/postgres-roles.ts); with DATABASE_URL alone, migrations use it too.
      url: withPasswordFrom(s.database.passwordFile, s.database.url ?? `postgres://ca_app@127.0.0.1:${s.database.port}/ca`),
      ownerUrl: s.database.ownerUrl ?? withPasswordFrom(s.database.passwordFile, s.database.url ?? `postgres://ca_owner@127.0.0.1:${s.database.port}/ca`),
      managedPort: s.database.url ? undefined : s.database.port,
    },
    hsm: {
      ...s.hsm,
      pinFile: s.hsm.pinFile ?? path.join(secrets, 'hsm-user-pin'),
      soPinFile: path.join(secrets, 'hsm-so-pin'),
      softhsmConf: path.join(s.dataDir, 'softhsm', 'softhsm2.conf'),
    },
    api: {
      ...s.api,
      publicBaseUrl: apiBase,
      url: (s.api.url ?? `https://${s.api.host}:${s.api.tlsPort}`).replace(/\/$/, ''),
      // Development: the same certificate as the ACME listener (names localhost, 127.0.0.1, ::1).
      tlsKeyFile: s.api.tlsKeyFile ?? acmeTls.keyFile,
      tlsCertFile: s.api.tlsCertFile ?? acmeTls.certFile,
    },
    dns: { ...s.dns, devRecordsFile: path.join(s.dataDir, 'dns', 'records.json') },
    /** Base of the URLs that go into certificates (CRL DP, OCSP, caIssuers): `issuerUrls` builds them per key. */
    certificateBaseUrl: certBase,
    /** URLs that go into certificates, per issuing CA and for the (stand-in) root (their first keys). */
    urls: { dv: urlsFor('dv'), ov: urlsFor('ov'), root: urlsFor('root') } as Record<IssuingCaId | 'root', CaUrls>,
    mpic: { ...s.mpic, perspectives: parsePerspectives(s.mpic.perspectives ?? (development ? devPerspectives : ''), s.dns.resolver) },
    dcvHttp: { allowLoopback: development && (s.dcvHttp.allowLoopback ?? 'on') === 'on' },
    /** Development only: CAA tree climbing stops at the dev zone the dev DNS server is authoritative for. */
    caaClimbStopsAt: development ? s.dns.devZone.toLowerCase() : undefined,
    smtp: {
      url: s.smtp.url ?? null,
      from: s.smtp.from ?? `domain-validation@${s.caaIssuerDomain}`,
      noticeFrom: s.smtp.noticeFrom ?? `notices@${s.caaIssuerDomain}`,
    },
    vetting: {
      ...s.vetting,
      from: s.vetting.from ?? `ov-vetting@${s.caaIssuerDomain}`,
      queueEmail: s.vetting.queueEmail ?? `vetting-queue@${s.caaIssuerDomain}`,
    },
    operator: { ...s.operator, email: s.operator.email ?? `ca-operators@${s.caaIssuerDomain}` },
    ct: {
      ...s.ct,
      // BR/Chrome/Apple: a certificate without embedded SCTs is untrusted; production never skips CT.
      submission: s.ct.submission || s.environment === 'production',
      logListFile: s.ct.logListFile ?? path.join(s.dataDir, 'ct', 'log-list.json'),
    },
    acme: {
      ...s.acme,
      eabRequired: (s.acme.eabRequired ?? (development ? 'off' : 'on')) === 'on',
      termsOfService: s.acme.termsOfService ?? `${apiBase}/repository/terms`,
      tlsKeyFile: acmeTls.keyFile,
      tlsCertFile: acmeTls.certFile,
      nonceKeyFile: s.acme.nonceKeyFile ?? path.join(secrets, 'acme-nonce-key'),
      eabEncryptionKeyFile: s.acme.eabEncryptionKeyFile ?? path.join(secrets, 'eab-encryption-key'),
    },
  };
}

const settings = settingsShape.transform(derived);

/** Every environment variable the configuration reads (deployment files may set these and nothing else). */
export const configVariables: readonly string[] = settingVariables(settingsShape);

export type CaConfig = DeepReadonly<z.output<typeof settings>>;

export function loadConfig(source: NodeJS.ProcessEnv = process.env): CaConfig {
  return deepFreeze(parseEnv(settings, source));
}
