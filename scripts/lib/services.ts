/**
 * Brings up (or reuses) every service the CA needs, in order, for `npm start` and for the test suite alike:
 * PostgreSQL (+ migrations), the SoftHSM2 token, the Temporal dev server, the CA hierarchy in the HSM, and the
 * development DNS server for the dev zone. Each step is idempotent: re-running reuses what exists.
 */
import path from 'node:path';
import type { CaConfig } from '../../config';
import { ensureSecretKeyFile, readSecretKeyFile } from '../../config/secret-files';
import { createDb, type Db } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { sealPlaintextEabKeys } from '../../db/repositories/acme-eab';
import { openHsm, type Hsm } from '../../pki/hsm';
import { ensureAcmeTlsCertificate } from './acme-tls';
import { ensureCaHierarchy } from './ca-hierarchy';
import { startLocalCtLogs } from './ct-logs';
import { startDevDnsServer } from './dev-dns';
import { ensurePostgres } from './postgres';
import { ensureSoftHsmToken } from './softhsm';
import { ensureTemporalBinary, startTemporalDevServer, type TemporalDevServer } from './temporal';

export interface Services {
  /** The runtime role's URL (DATABASE_URL of every service). */
  readonly databaseUrl: string;
  /** The owner role's URL (DATABASE_OWNER_URL: migrations, and tests that create databases). */
  readonly databaseOwnerUrl: string;
  readonly hsmPin: string;
  readonly temporalAddress: string;
  /** The Temporal server process started here (null when an already-running one was reused). */
  readonly temporalPid: number | null;
  stop(): Promise<void>;
}

export interface BringUpOptions {
  readonly log: (line: string) => void;
  /** Persist Temporal's state in <dataDir>/temporal/temporal.db (npm start) or keep it in memory (tests). */
  readonly persistTemporal: boolean;
  /** Serve the Web UI (npm start) or run headless (tests). */
  readonly temporalUi: boolean;
  readonly devDns: boolean;
  /**
   * Two local TesseraCT logs (CP 4.3.1: precertificates are logged; scripts/lib/ct-logs.ts) written to config.ct.logListFile. Default: in
   * development with CT submission on, unless CA_CT_LOG_LIST names a log list of its own.
   */
  readonly ctLogs?: boolean;
}

function portOf(address: string): number {
  const port = Number(address.split(':').pop());
  if (!Number.isInteger(port)) throw new Error(`TEMPORAL_ADDRESS must be host:port, got ${address}`);
  return port;
}

/**
 * PostgreSQL (migrated), the SoftHSM2 token and the CA hierarchy in it: the CA's records and keys, without Temporal
 * (what the signing and serving benchmarks need). `stop` stops the PostgreSQL cluster when this call started it.
 */
export async function bringUpCaStore(
  config: CaConfig,
  log: (line: string) => void,
): Promise<{ databaseUrl: string; databaseOwnerUrl: string; hsmPin: string; stop(): Promise<void> }> {
  const pg = await ensurePostgres(config, { log });
  try {
    // Migrations (and sealing EAB keys stored in clear) as the owner; everything after, like every service, as the
    // runtime role (docs/SECURITY.md).
    await migrateAndSeal(config, pg.ownerUrl);
    log(`database ready at ${pg.url}`);
    const token = await ensureSoftHsmToken(config);
    process.env.SOFTHSM2_CONF = token.conf;
    log(`SoftHSM2 token "${config.hsm.tokenLabel}" ready (SOFTHSM2_CONF=${token.conf})`);
    await withCaKeys(config, pg.url, token.pin, (deps) => ensureCaHierarchy({ ...deps, log }));
    return { databaseUrl: pg.url, databaseOwnerUrl: pg.ownerUrl, hsmPin: token.pin, stop: () => pg.stop() };
  } catch (err) {
    await pg.stop();
    throw err;
  }
}

/**
 * The migrations, then what SQL cannot do: the secret key files the doors read (ACME nonces, EAB keys; created once,
 * mode 0600) and the EAB HMAC keys of older rows sealed under the EAB key (db/repositories/acme-eab.ts).
 */
export async function migrateAndSeal(config: CaConfig, databaseUrl: string): Promise<void> {
  await migrateDatabase(databaseUrl);
  ensureSecretKeyFile(config.acme.nonceKeyFile);
  ensureSecretKeyFile(config.acme.eabEncryptionKeyFile);
  const handle = createDb(databaseUrl, { max: 1 });
  try {
    await sealPlaintextEabKeys(handle.db, readSecretKeyFile(config.acme.eabEncryptionKeyFile, 'EAB keys'), { actor: 'migrate' });
  } finally {
    await handle.close();
  }
}

/** Runs `fn` with a short-lived database handle and one HSM session (setup steps that sign with the CA keys). */
export async function withCaKeys<T>(config: CaConfig, databaseUrl: string, pin: string, fn: (deps: { config: CaConfig; db: Db; hsm: Hsm }) => Promise<T>): Promise<T> {
  const handle = createDb(databaseUrl, { max: 2 });
  try {
    const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin, sessions: 1 });
    try {
      return await fn({ config, db: handle.db, hsm });
    } finally {
      await hsm.close();
    }
  } finally {
    await handle.close();
  }
}

/** The Temporal dev server of this configuration (also how the chaos harness starts it again after a kill). */
export async function startTemporal(config: CaConfig, opts: Pick<BringUpOptions, 'log' | 'persistTemporal' | 'temporalUi'>): Promise<TemporalDevServer> {
  return startTemporalDevServer({
    binary: await ensureTemporalBinary(opts.log),
    port: portOf(config.temporal.address),
    uiPort: opts.temporalUi ? config.temporal.uiPort : undefined,
    dbFile: opts.persistTemporal ? path.join(config.dataDir, 'temporal', 'temporal.db') : undefined,
    namespace: config.temporal.namespace,
    logFile: path.join(config.dataDir, 'logs', 'temporal.log'),
    log: opts.log,
  });
}

export async function bringUpServices(config: CaConfig, opts: BringUpOptions): Promise<Services> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => opts.log(`stop failed: ${String(e)}`));
  };
  try {
    const store = await bringUpCaStore(config, opts.log);
    stops.push(() => store.stop());

    const temporal = await startTemporal(config, opts);
    stops.push(() => temporal.stop());
    opts.log(`Temporal at ${temporal.address}${opts.temporalUi ? `, Web UI http://127.0.0.1:${config.temporal.uiPort}` : ''}`);

    const wantCtLogs = opts.ctLogs ?? (config.environment === 'development' && config.ct.submission && !process.env.CA_CT_LOG_LIST);
    await withCaKeys(config, store.databaseUrl, store.hsmPin, async (deps) => {
      // The ACME listener's HTTPS certificate, under the stand-in root (development only; RFC 8555 §6.1: HTTPS).
      if (config.environment === 'development') await ensureAcmeTlsCertificate({ ...deps, log: opts.log });
      if (wantCtLogs) {
        const ct = await startLocalCtLogs(config, { db: deps.db, log: opts.log });
        stops.push(() => ct.stop());
      }
    });

    if (opts.devDns) {
      const dns = await startDevDnsServer({
        host: config.dns.resolver.host,
        port: config.dns.devPort,
        adminPort: config.dns.devAdminPort,
        zone: config.dns.devZone,
        recordsFile: config.dns.devRecordsFile,
      });
      stops.push(() => dns.stop());
      opts.log(`development DNS: authoritative for ${config.dns.devZone} on 127.0.0.1:${config.dns.devPort} (admin :${config.dns.devAdminPort})`);
    }
    return { databaseUrl: store.databaseUrl, databaseOwnerUrl: store.databaseOwnerUrl, hsmPin: store.hsmPin, temporalAddress: temporal.address, temporalPid: temporal.pid, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
