/**
 * Brings up (or reuses) every service the CA needs, in order, for `npm start` and for the test suite alike:
 * PostgreSQL (+ migrations), the SoftHSM2 token, the Temporal dev server, the CA hierarchy in the HSM, and the
 * development DNS server for the dev zone. Each step is idempotent: re-running reuses what exists.
 */
import path from 'node:path';
import type { CaConfig } from '../../config';
import { createDb } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { openHsm } from '../../pki/hsm';
import { ensureAcmeTlsCertificate } from './acme-tls';
import { ensureCaHierarchy } from './ca-hierarchy';
import { startLocalCtLogs } from './ct-logs';
import { startDevDnsServer } from './dev-dns';
import { ensurePostgres } from './postgres';
import { ensureSoftHsmToken } from './softhsm';
import { ensureTemporalBinary, startTemporalDevServer } from './temporal';

export interface Services {
  readonly databaseUrl: string;
  readonly hsmPin: string;
  readonly temporalAddress: string;
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
   * Two local TesseraCT logs (issue #4, scripts/lib/ct-logs.ts) written to config.ct.logListFile. Default: in
   * development with CT submission on, unless CA_CT_LOG_LIST names a log list of its own.
   */
  readonly ctLogs?: boolean;
}

function portOf(address: string): number {
  const port = Number(address.split(':').pop());
  if (!Number.isInteger(port)) throw new Error(`TEMPORAL_ADDRESS must be host:port, got ${address}`);
  return port;
}

export async function bringUpServices(config: CaConfig, opts: BringUpOptions): Promise<Services> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => opts.log(`stop failed: ${String(e)}`));
  };
  try {
    const pg = await ensurePostgres(config, { log: opts.log });
    stops.push(() => pg.stop());
    await migrateDatabase(pg.url);
    opts.log(`database ready at ${pg.url}`);

    const token = await ensureSoftHsmToken(config);
    process.env.SOFTHSM2_CONF = token.conf;
    opts.log(`SoftHSM2 token "${config.hsm.tokenLabel}" ready (SOFTHSM2_CONF=${token.conf})`);

    const binary = await ensureTemporalBinary(opts.log);
    const temporal = await startTemporalDevServer({
      binary,
      port: portOf(config.temporal.address),
      uiPort: opts.temporalUi ? config.temporal.uiPort : undefined,
      dbFile: opts.persistTemporal ? path.join(config.dataDir, 'temporal', 'temporal.db') : undefined,
      namespace: config.temporal.namespace,
      logFile: path.join(config.dataDir, 'logs', 'temporal.log'),
      log: opts.log,
    });
    stops.push(() => temporal.stop());
    opts.log(`Temporal at ${temporal.address}${opts.temporalUi ? `, Web UI http://127.0.0.1:${config.temporal.uiPort}` : ''}`);

    const handle = createDb(pg.url, { max: 2 });
    const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: token.pin, sessions: 1 });
    try {
      await ensureCaHierarchy({ config, db: handle.db, hsm, log: opts.log });
      // Issue #6: the ACME listener's HTTPS certificate, under the stand-in root (development only).
      if (config.environment === 'development') await ensureAcmeTlsCertificate({ config, db: handle.db, hsm, log: opts.log });
      const wantCtLogs = opts.ctLogs ?? (config.environment === 'development' && config.ct.submission && !process.env.CA_CT_LOG_LIST);
      if (wantCtLogs) {
        const ct = await startLocalCtLogs(config, { db: handle.db, log: opts.log });
        stops.push(() => ct.stop());
      }
    } finally {
      await hsm.close();
      await handle.close();
    }

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
    return { databaseUrl: pg.url, hsmPin: token.pin, temporalAddress: temporal.address, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
