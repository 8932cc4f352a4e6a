/**
 * `npm run bench:registry [-- --rows 1000000]`: the NTA corporate-number import (CP 3.2.2.1 QGIS) — a generated file
 * of N rows in the Unicode CSV layout (scripts/lib/nta-registry-file.ts) into a fresh database: the first full import
 * (COPY into the staging table, then the merge), the same file again (idempotent: nothing changes), and a daily diff
 * of 1% of the rows (new numbers, name and address changes, closures). Target: 1M rows ≤ 60 s.
 * PostgreSQL runs under .data-bench-registry/ on its own port; results are JSON on stdout (docs/BENCHMARKS.md).
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { repoRoot } from '../config';
import { ntaDiffRow, ntaRow, ntaRows, writeNtaFile } from './lib/nta-registry-file';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
const rows = Number(values.rows);

Object.assign(process.env, { CA_ENV: 'development', CA_DATA_DIR: path.join(repoRoot, '.data-bench-registry'), CA_PG_PORT: process.env.CA_PG_PORT ?? '26435' });
const { loadConfig } = await import('../config');
const { ensurePostgres } = await import('./lib/postgres');
const { migrateDatabase } = await import('../db/migrate');
const { createDb } = await import('../db/client');
const { importRegistryCsv } = await import('../db/repositories/registry');
const { withDatabase } = await import('./lib/postgres-roles');

const config = loadConfig();
const log = (s: string) => process.stderr.write(`[bench:registry] ${s}\n`);
const pg = await ensurePostgres(config, { log });
const work = path.join(config.dataDir, 'files');
mkdirSync(work, { recursive: true });
const full = path.join(work, `full-${rows}.csv`);
const diff = path.join(work, `diff-${rows}.csv`);
try {
  let t = performance.now();
  await writeNtaFile(full, ntaRows(rows));
  const diffRows = Math.max(4, Math.floor(rows / 100));
  await writeNtaFile(diff, (function* () {
    for (let i = 0; i < diffRows; i++) {
      const kind = i % 4;
      const update = { update_date: '2026-11-02' };
      if (kind === 0) yield ntaRow(rows + i, update);
      else if (kind === 1) yield ntaDiffRow(ntaRow(i), '11', { ...update, name: `株式会社　改名${i}` });
      else if (kind === 2) yield ntaDiffRow(ntaRow(i), '12', { ...update, city_name: '港区' });
      else yield ntaDiffRow(ntaRow(i), '21', update);
    }
  })());
  log(`generated ${rows} rows (${(statSync(full).size / 1e6).toFixed(0)} MB) and a diff of ${diffRows} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const name = `bench_registry_${Date.now()}`;
  // A throwaway database of the owner role (it creates databases and runs migrations, docs/SECURITY.md).
  const admin = postgres(pg.ownerUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = withDatabase(pg.ownerUrl, name);
  await migrateDatabase(url);
  const handle = createDb(url, { max: 2 });
  const { createReadStream } = await import('node:fs');
  const run = async (file: string) => {
    t = performance.now();
    const r = await importRegistryCsv(handle.db, { source: createReadStream(file), fileName: path.basename(file), actor: 'bench', onProgress: (p) => log(`${p.phase} ${p.rows}`), progressEveryRows: 250_000 });
    const seconds = (performance.now() - t) / 1000;
    return { ...r, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(r.rows / seconds) };
  };
  const first = await run(full);
  const again = await run(full);
  const daily = await run(diff);
  await handle.close();
  await admin.unsafe(`drop database "${name}" with (force)`);
  await admin.end();
  console.log(JSON.stringify({ rows, fileMB: Number((statSync(full).size / 1e6).toFixed(1)), fullImport: first, sameFileAgain: again, dailyDiff: daily, targetSeconds: 60, met: first.seconds <= 60 }, null, 2));
} finally {
  await pg.stop();
}
