/**
 * Import of the National Tax Agency corporate-number data (CP 3.2.2.1 QGIS; domain/nta-registry.ts has the layout):
 * the operator's downloaded CSV (full data or a daily diff) is streamed by COPY into a temporary staging table built
 * from the layout, then merged into registry_corporations in one transaction with its registry_imports row and its
 * audit entry. Idempotent: a record only changes when the file's row is at least as recent (update date) and differs,
 * so importing a file twice, or an older file after a newer one, changes nothing the second time.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eq, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db } from '../client';
import { ntaCsvColumns, type RegistryRecord } from '../../domain/nta-registry';
import { registryCorporations, registryImports } from '../schema';
import { appendAudit } from './audit';
import type { DbOrTx, Tx } from './types';

export interface RegistryImportResult {
  readonly importId: string;
  readonly rows: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly closed: number;
  readonly seconds: number;
}

/** Called while the file streams in (bytes and lines so far), and once per merge phase. */
export type ImportProgress = (p: { phase: 'copy' | 'merge' | 'done'; rows: number; bytes: number }) => void;

const columnList = ntaCsvColumns.map((c) => c.key).join(', ');
const dateColumns = new Set(['update_date', 'change_date', 'close_date', 'assignment_date']);
/** Columns that are NOT NULL in registry_corporations keep '' as ''; the others turn '' into NULL. */
const requiredColumns = new Set(['sequence_number', 'corporate_number', 'process', 'correct', 'update_date', 'name', 'kind', 'prefecture_name', 'city_name', 'street_number', 'latest']);
const valueOf = (key: string) => {
  const v = requiredColumns.has(key) ? key : `nullif(${key}, '')`;
  return dateColumns.has(key) ? `${v}::date` : v;
};
/** Everything but the row's place in its file decides whether a stored record changes. */
const contentColumns = ntaCsvColumns.map((c) => c.key).filter((k) => k !== 'sequence_number');

/** drizzle has no COPY: its postgres.js transaction keeps the driver's transaction as `session.client`. */
function copyClient(tx: Tx): postgres.TransactionSql {
  return (tx as unknown as { session: { client: postgres.TransactionSql } }).session.client;
}

/** Strips a UTF-8 byte order mark, counts lines and bytes, and hashes the file as it streams into COPY. */
function meter(onProgress: ImportProgress, every: number) {
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  let first = true;
  let next = every;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      let data = chunk;
      if (first && data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
      first = false;
      bytes += chunk.length;
      for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) rows++;
      if (rows >= next) {
        onProgress({ phase: 'copy', rows, bytes });
        next = rows + every;
      }
      done(null, data);
    },
  });
  return { stream, result: () => ({ bytes, rows, sha256: new Uint8Array(hash.digest()) }) };
}

export async function importRegistryCsv(
  db: Db,
  input: { source: Readable; fileName: string; actor: string; onProgress?: ImportProgress; progressEveryRows?: number },
): Promise<RegistryImportResult> {
  const started = new Date();
  const onProgress = input.onProgress ?? (() => {});
  return db.transaction(async (tx) => {
    const client = copyClient(tx);
    // The staging table is this transaction's own (dropped at commit), built from the one layout.
    await client.unsafe(`create temp table registry_staging (${ntaCsvColumns.map((c) => `${c.key} text`).join(', ')}) on commit drop`);
    const m = meter(onProgress, input.progressEveryRows ?? 100_000);
    const copy = await client.unsafe(`copy registry_staging (${columnList}) from stdin with (format csv)`).writable();
    await pipeline(input.source, m.stream, copy);
    const file = m.result();
    onProgress({ phase: 'merge', rows: file.rows, bytes: file.bytes });

    const [imp] = await tx
      .insert(registryImports)
      .values({ fileName: input.fileName, sha256: file.sha256, rows: 0, inserted: 0, updated: 0, unchanged: 0, closed: 0, actor: input.actor, startedAt: started, finishedAt: started })
      .returning({ id: registryImports.id });
    const importId = imp!.id;
    // The latest row per number (a diff may carry history rows, 最新履歴 = 0), newest update first.
    const [counts] = await client.unsafe<Array<{ staged: string; incoming: string; inserted: string; updated: string; closed: string }>>(
      `with incoming as (
         select distinct on (corporate_number) * from registry_staging
         where latest = '1' and corporate_number ~ '^[0-9]{13}$'
         order by corporate_number, update_date desc, sequence_number::bigint desc
       ), merged as (
         insert into registry_corporations (${columnList}, import_id)
         select ${ntaCsvColumns.map((c) => valueOf(c.key)).join(', ')}, $1::uuid from incoming
         on conflict (corporate_number) do update set (${columnList}, import_id) = (${ntaCsvColumns.map((c) => `excluded.${c.key}`).join(', ')}, excluded.import_id)
         where excluded.update_date >= registry_corporations.update_date
           and (${contentColumns.map((k) => `excluded.${k}`).join(', ')}) is distinct from (${contentColumns.map((k) => `registry_corporations.${k}`).join(', ')})
         returning (xmax = 0) as inserted, (close_date is not null or process in ('21', '71', '81', '99')) as closed
       )
       select (select count(*) from registry_staging) as staged, (select count(*) from incoming) as incoming,
         count(*) filter (where inserted) as inserted, count(*) filter (where not inserted) as updated, count(*) filter (where closed) as closed
       from merged`,
      [importId],
    );
    const inserted = Number(counts!.inserted);
    const updated = Number(counts!.updated);
    const result = {
      importId,
      rows: Number(counts!.staged),
      inserted,
      updated,
      unchanged: Number(counts!.incoming) - inserted - updated,
      closed: Number(counts!.closed),
    };
    const finishedAt = new Date();
    await tx.update(registryImports).set({ ...result, finishedAt }).where(eq(registryImports.id, importId));
    await appendAudit(tx, {
      actor: input.actor,
      event: 'registry.imported',
      data: { ...result, fileName: input.fileName, sha256: file.sha256, source: 'NTA corporate-number data (CP 3.2.2.1)' },
    });
    onProgress({ phase: 'done', rows: result.rows, bytes: file.bytes });
    return { ...result, seconds: (finishedAt.getTime() - started.getTime()) / 1000 };
  });
}

/** The registry's current record of a corporate number, or null. */
export async function findRegistryRecord(db: DbOrTx, corporateNumber: string): Promise<RegistryRecord | null> {
  const [r] = await db.select().from(registryCorporations).where(eq(registryCorporations.corporateNumber, corporateNumber)).limit(1);
  if (!r) return null;
  return {
    corporateNumber: r.corporateNumber,
    process: r.process,
    name: r.name,
    prefectureName: r.prefectureName,
    cityName: r.cityName,
    streetNumber: r.streetNumber,
    addressOutside: r.addressOutside,
    closeDate: r.closeDate,
    closeCause: r.closeCause,
    enName: r.enName,
    updateDate: r.updateDate,
  };
}

export async function registrySize(db: DbOrTx): Promise<number> {
  const [r] = await db.execute<{ n: string }>(sql`select count(*)::text as n from registry_corporations`);
  return Number(r!.n);
}
