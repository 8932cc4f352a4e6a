/**
 * What the OCSP integration tests share: a database of their own (the CA rows copied from the global setup's
 * database; the keys are the token's), the HSM opened as the signing worker opens it, the OCSP activities over both,
 * and the CA certificates as PEM files for `openssl ocsp -issuer/-CAfile`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOcspActivities } from '../../activities/ocsp';
import { loadConfig, type CaConfig } from '../../config';
import { createDb } from '../../db/client';
import { listIssuers, upsertIssuer } from '../../db/repositories/issuers';
import { certificateFields } from '../../pki/ca-hierarchy';
import { openHsm, type Hsm } from '../../pki/hsm';
import { certIdIssuerHashes } from '../../pki/ocsp';
import { pemEncode } from '../../pki/pem';
import { readHsmPin } from '../../pki/hsm-pin';
import { freshDatabase } from './database';

export interface OcspTestbed {
  readonly fresh: Awaited<ReturnType<typeof freshDatabase>>;
  /** The global setup's configuration with this testbed's database. */
  readonly config: CaConfig;
  readonly hsm: Hsm;
  readonly acts: ReturnType<typeof createOcspActivities>;
  /** PEM files of the CA certificates. */
  readonly files: { root: string; dv: string; ov: string };
  /** The DV issuing CA's CertID hashes (RFC 6960 4.1.1, SHA-1). */
  readonly dvHashes: ReturnType<typeof certIdIssuerHashes>;
  /** A scratch directory, removed by close(). */
  readonly work: string;
  close(): Promise<void>;
}

export async function openOcspTestbed(prefix: string): Promise<OcspTestbed> {
  const work = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  const fresh = await freshDatabase({ prefix });
  const base = loadConfig();
  const config: CaConfig = { ...base, database: { ...base.database, url: fresh.url } };
  const main = createDb(base.database.url, { max: 1 });
  try {
    for (const row of await listIssuers(main.db)) await upsertIssuer(fresh.handle.db, row, { actor: 'test' });
  } finally {
    await main.close();
  }
  const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config.hsm), sessions: 2 });
  const acts = createOcspActivities({ db: fresh.handle.db, signer: hsm, keys: hsm, config, clock: () => new Date() });
  const issuers = await listIssuers(fresh.handle.db);
  const pem = (id: string) => {
    const file = path.join(work, `${id}.pem`);
    writeFileSync(file, pemEncode('CERTIFICATE', issuers.find((i) => i.id === id)!.certDer!));
    return file;
  };
  const dv = issuers.find((i) => i.id === 'dv')!;
  const { subjectDer, spkiDer } = certificateFields(dv.certDer!);
  return {
    fresh,
    config,
    hsm,
    acts,
    files: { root: pem('root'), dv: pem('dv'), ov: pem('ov') },
    dvHashes: certIdIssuerHashes(subjectDer, spkiDer, 'sha1'),
    work,
    async close() {
      await hsm.close();
      await fresh.drop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
