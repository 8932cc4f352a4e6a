/**
 * Configuration, parsed once from the environment into a readonly object (ARCHITECTURE.md convention 5).
 * Local defaults bring up a self-contained development CA under ./data; every value can be overridden by env.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

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
}

function hostPort(value: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value);
  if (!m) throw new Error(`expected host:port, got ${value}`);
  return { host: m[1]!, port: Number(m[2]) };
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): CaConfig {
  const e = env.parse(source);
  const base = (e.CA_PUBLIC_BASE_URL ?? `http://${e.CA_API_HOST}:${e.CA_API_PORT}`).replace(/\/$/, '');
  const urlsFor = (id: IssuingCaId | 'root'): CaUrls => ({
    crl: `${base}/repository/crl/${id}.crl`,
    ocsp: `${base}/ocsp/${id}`,
    caIssuers: `${base}/repository/ca/${id}.cer`,
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
  });
}
