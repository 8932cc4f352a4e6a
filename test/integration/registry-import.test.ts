/**
 * The NTA corporate-number import (CP 3.2.2.1 QGIS) on real PostgreSQL: a generated file in the published Unicode CSV
 * layout goes in by COPY and merge; importing it again changes nothing (idempotent); a daily diff brings a new number,
 * a name change, an address change and a closure; an older file never overwrites a newer record. Also the admin
 * command with its progress output, as an operator runs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ntaCsvColumns } from '../../domain/nta-registry';
import { findRegistryRecord, importRegistryCsv, registrySize, type RegistryImportResult } from '../../db/repositories/registry';
import { registryCorporations } from '../../db/schema';
import { ntaCsvStream, ntaDiffRow, ntaRow, ntaRows, writeNtaFile } from '../../scripts/lib/nta-registry-file';
import { freshDatabase } from '../support/database';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
const work = mkdtempSync(path.join(tmpdir(), 'nta-'));

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'registry' });
});
afterAll(async () => {
  await fresh?.drop();
});

const load = (rows: Iterable<ReturnType<typeof ntaRow>>, fileName = 'test.csv'): Promise<RegistryImportResult> =>
  importRegistryCsv(fresh.handle.db, { source: ntaCsvStream(rows), fileName, actor: 'test' });
const counts = (r: RegistryImportResult) => ({ rows: r.rows, inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, closed: r.closed });

describe('NTA registry import', () => {
  it('keeps one column per layout column, in the layout order (the layout is written once)', () => {
    const tableColumns = Object.values(registryCorporations).filter((c) => typeof c === 'object' && c !== null && 'name' in c);
    expect(Object.keys(registryCorporations).length).toBeGreaterThan(0);
    expect(tableColumns.map((c) => (c as { name: string }).name).filter((n) => n !== 'import_id')).toEqual(ntaCsvColumns.map((c) => c.key));
  });

  it('loads a full-data file, then a second import of the same file changes nothing', async () => {
    const first = await load(ntaRows(500), 'full-01.csv');
    expect(counts(first)).toEqual({ rows: 500, inserted: 500, updated: 0, unchanged: 0, closed: 0 });
    const again = await load(ntaRows(500), 'full-01.csv');
    expect(counts(again)).toEqual({ rows: 500, inserted: 0, updated: 0, unchanged: 500, closed: 0 });
    expect(await registrySize(fresh.handle.db)).toBe(500);
    const r = await findRegistryRecord(fresh.handle.db, ntaRow(0).corporate_number);
    // The registry's own forms, full width and with the U+3000 space (what the vetted record's O takes).
    expect(r).toMatchObject({ name: ntaRow(0).name, prefectureName: '北海道', closeDate: null, updateDate: '2026-10-01' });
  });

  it('applies a daily diff: new number, name change, address change, closure; history rows are skipped', async () => {
    const diff = [
      ntaRow(10_000, { update_date: '2026-10-02', process: '01' }),
      ntaDiffRow(ntaRow(1), '11', { update_date: '2026-10-02', name: '株式会社　改名後' }),
      ntaDiffRow(ntaRow(2), '12', { update_date: '2026-10-02', city_name: '港区', street_number: '芝公園４丁目２－８' }),
      ntaDiffRow(ntaRow(3), '21', { update_date: '2026-10-02' }),
      // A past row of the same number (最新履歴 0) must not win over the latest one.
      ntaDiffRow(ntaRow(1), '11', { update_date: '2026-10-02', name: '株式会社　古い名', latest: '0' }),
    ];
    const r = await load(diff, 'diff-20261002.csv');
    expect(counts(r)).toEqual({ rows: 5, inserted: 1, updated: 3, unchanged: 0, closed: 1 });
    expect(await findRegistryRecord(fresh.handle.db, ntaRow(1).corporate_number)).toMatchObject({ name: '株式会社　改名後', process: '11' });
    expect(await findRegistryRecord(fresh.handle.db, ntaRow(2).corporate_number)).toMatchObject({ cityName: '港区', streetNumber: '芝公園４丁目２－８' });
    expect(await findRegistryRecord(fresh.handle.db, ntaRow(3).corporate_number)).toMatchObject({ process: '21', closeDate: '2026-10-02', closeCause: '01' });
    // The same diff again: idempotent.
    expect(counts(await load(diff, 'diff-20261002.csv'))).toEqual({ rows: 5, inserted: 0, updated: 0, unchanged: 4, closed: 0 });
  });

  it('never lets an older file overwrite a newer record', async () => {
    const older = await load([ntaRow(1, { update_date: '2026-09-01', name: '株式会社　昔の名' })], 'full-09.csv');
    expect(counts(older)).toEqual({ rows: 1, inserted: 0, updated: 0, unchanged: 1, closed: 0 });
    expect(await findRegistryRecord(fresh.handle.db, ntaRow(1).corporate_number)).toMatchObject({ name: '株式会社　改名後' });
  });

  it('imports from the admin command with progress output, and records the import in the audit log', async () => {
    const file = path.join(work, 'full-02.csv');
    await writeNtaFile(file, ntaRows(2_500, 20_000));
    const out = execFileSync('npx', ['tsx', 'scripts/admin.ts', 'registry', 'import', file, '--progress-every', '1000'], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: fresh.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = JSON.parse(out) as RegistryImportResult;
    expect(counts(result)).toEqual({ rows: 2_500, inserted: 2_500, updated: 0, unchanged: 0, closed: 0 });
    const [audit] = await fresh.handle.sql`select actor, data from audit_log where event = 'registry.imported' order by id desc limit 1`;
    expect(audit).toMatchObject({ actor: 'admin-cli', data: { fileName: 'full-02.csv', inserted: 2_500 } });
  });
});
