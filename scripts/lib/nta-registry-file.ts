/**
 * Files in the National Tax Agency's Unicode CSV layout (domain/nta-registry.ts), generated: the tests' registry
 * and `npm run bench:registry` use them, since nothing here can download the real data. Rows are deterministic in
 * their index (the same index gives the same corporation), carry valid corporate numbers (check digit), full-width
 * registry forms (株式会社　…, １丁目２－３) and both 前株 and 後株 names, and the file has no header row, like the
 * real one. Diff rows (new, name change, address change, closure) are built from a row with `ntaDiffRow`.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { corporateNumberCheckDigit } from '../../domain/corporate-number';
import { ntaCsvColumns, type NtaCsvKey, type NtaCsvRow, type NtaProcessCode } from '../../domain/nta-registry';
import { prefectures } from '../../domain/vetting';

const fullWidth = (s: string) => s.replace(/[0-9A-Za-z-]/g, (ch) => (ch === '-' ? '－' : String.fromCharCode(ch.charCodeAt(0) + 0xfee0)));
const cities = ['千代田区', '中央区', '港区', '新宿区', '札幌市中央区', '横浜市西区', '名古屋市中区', '大阪市北区', '福岡市博多区', '那覇市'];
const towns = ['永田町', '大手町', '丸の内', '西新宿', '北一条西', 'みなとみらい', '栄', '梅田', '博多駅前', '久茂地'];
const words = ['テスト', 'サンプル', 'みほん', 'ＪＰＲＳ', '日本', 'ひかり', '青葉', '若葉', '桜', '富士'];

/** A valid corporate number whose 12-digit base encodes `index` (check digit in front, OV-VETTING.md). */
export function corporateNumberFor(index: number): string {
  const base = String(100_000_000_000 + index).slice(-12);
  return `${corporateNumberCheckDigit(base)}${base}`;
}

/** The generated corporation number `index` (a full-data row: process 01, latest). */
export function ntaRow(index: number, overrides: Partial<NtaCsvRow> = {}): NtaCsvRow {
  const p = prefectures[index % prefectures.length]!;
  const legal = index % 3 === 1 ? '有限会社' : '株式会社';
  const body = `${words[index % words.length]}${words[Math.floor(index / 10) % words.length]}${fullWidth(String(index))}`;
  const name = index % 2 === 0 ? `${legal}　${body}` : `${body}${legal}`;
  const row: Record<NtaCsvKey, string> = Object.fromEntries(ntaCsvColumns.map((c) => [c.key, ''])) as Record<NtaCsvKey, string>;
  Object.assign(row, {
    sequence_number: String(index + 1),
    corporate_number: corporateNumberFor(index),
    process: '01',
    correct: '0',
    update_date: '2026-10-01',
    change_date: '2015-10-05',
    name,
    kind: legal === '株式会社' ? '301' : '302',
    prefecture_name: p,
    city_name: cities[index % cities.length]!,
    street_number: `${towns[index % towns.length]}${fullWidth(`${1 + (index % 9)}丁目${1 + (index % 30)}-${1 + (index % 7)}`)}`,
    prefecture_code: String(1 + (index % prefectures.length)).padStart(2, '0'),
    city_code: String(100 + (index % 900)),
    post_code: String(1_000_000 + (index % 8_999_999)).padStart(7, '0'),
    assignment_date: '2015-10-05',
    latest: '1',
    furigana: 'テスト',
    hihyoji: '0',
  });
  return { ...row, ...overrides };
}

/** A diff-file row for an existing corporation: new (01), name change (11), address change (12) or closure (21). */
export function ntaDiffRow(base: NtaCsvRow, process: NtaProcessCode, changes: Partial<NtaCsvRow> & { update_date: string }): NtaCsvRow {
  const closure: Partial<NtaCsvRow> = process === '21' ? { close_date: changes.update_date, close_cause: '01' } : {};
  return { ...base, process, change_date: changes.update_date, ...closure, ...changes };
}

/** One CSV line (RFC 4180 quoting, as the NTA writes text columns), with its CRLF. */
export function ntaCsvLine(row: NtaCsvRow): string {
  return ntaCsvColumns
    .map((c) => {
      const v = row[c.key];
      if (v === '' || c.key === 'sequence_number' || c.key === 'corporate_number') return v;
      return `"${v.replace(/"/g, '""')}"`;
    })
    .join(',') + '\r\n';
}

/** A stream of the rows as the file's bytes (batched lines, so a million rows never sit in memory at once). */
export function ntaCsvStream(rows: Iterable<NtaCsvRow>, batch = 2_000): Readable {
  return Readable.from((function* () {
    let buf: string[] = [];
    for (const r of rows) {
      buf.push(ntaCsvLine(r));
      if (buf.length >= batch) {
        yield buf.join('');
        buf = [];
      }
    }
    if (buf.length) yield buf.join('');
  })());
}

/** Rows `from` .. `from + count - 1`. */
export function* ntaRows(count: number, from = 0): Generator<NtaCsvRow> {
  for (let i = from; i < from + count; i++) yield ntaRow(i);
}

export async function writeNtaFile(file: string, rows: Iterable<NtaCsvRow>): Promise<void> {
  await pipeline(ntaCsvStream(rows), createWriteStream(file));
}
