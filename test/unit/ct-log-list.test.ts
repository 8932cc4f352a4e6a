/**
 * The CT log list in the browsers' v3 schema (activities/ct/log-list.ts), read from a fixture shaped like Chrome's
 * `log_list.json` (two operators; RFC 6962 `logs` and static-ct-api `tiled_logs`; every state; temporal intervals;
 * a readonly log with its final tree head): what is read, which logs a certificate may be submitted to, and which
 * lists are refused.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctLogListV3, parseCtLogList, submittable, type CtLog } from '../../activities/ct/log-list';
import { repoRoot } from '../../config';
import { itGivesEach } from '../support/table';

const fixture = (): { operators: Array<Record<string, unknown> & { logs: Array<Record<string, unknown>>; tiled_logs: Array<Record<string, unknown>> }> } =>
  JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/ct/log_list_v3.json'), 'utf8'));
const logs = parseCtLogList(fixture());
const byName = (id: string): CtLog => logs.find((l) => l.id === id)!;

describe('reading a v3 log list', () => {
  it('lists every log of every operator, RFC 6962 and tiled, under its description', () => {
    expect(logs.map((l) => [l.id, l.operator, l.api, l.state])).toEqual([
      ["Operator A 'Aurora2026h2'", 'Example Log Operator A', 'rfc6962', 'usable'],
      ["Operator A 'Aurora2027h1'", 'Example Log Operator A', 'rfc6962', 'qualified'],
      ["Operator A 'Aurora2025h2'", 'Example Log Operator A', 'rfc6962', 'readonly'],
      ["Operator A 'Tessa2026h2'", 'Example Log Operator A', 'static-ct', 'usable'],
      ["Operator B 'Birch'", 'Example Log Operator B', 'rfc6962', 'retired'],
      ["Operator B 'Cedar2026'", 'Example Log Operator B', 'rfc6962', 'pending'],
      ["Operator B 'Sequoia2026h2'", 'Example Log Operator B', 'static-ct', 'usable'],
      ["Operator B 'Sequoia2026h1'", 'Example Log Operator B', 'static-ct', 'rejected'],
    ]);
  });

  it('submits to a tiled log at its submission_url and keeps its monitoring_url; an RFC 6962 log at its url', () => {
    expect(byName("Operator A 'Tessa2026h2'")).toMatchObject({
      url: 'https://tessa2026h2.operator-a.example',
      monitoringUrl: 'https://tessa2026h2.operator-a.example/tiles/',
      mmd: 60,
    });
    expect(byName("Operator A 'Aurora2026h2'")).toMatchObject({ url: 'https://ct.operator-a.example/logs/aurora2026h2', mmd: 86400 });
  });

  it('derives the RFC 6962 3.2 LogID from the key, equal to the listed log_id', () => {
    const raw = fixture().operators[0]!.logs[0]!;
    expect(Buffer.from(byName("Operator A 'Aurora2026h2'").keyId).toString('base64')).toBe(raw.log_id);
  });
});

describe('which logs take a certificate (Chrome/Apple CT policy: usable or qualified, notAfter in the temporal interval)', () => {
  const names = (notAfter: string) => submittable(logs, new Date(notAfter)).map((l) => l.id).join(', ');
  itGivesEach(names, [
    ['notAfter in 2026 H2: the usable 2026h2 shards of both operators', '2026-10-15T00:00:00Z', "Operator A 'Aurora2026h2', Operator A 'Tessa2026h2', Operator B 'Sequoia2026h2'"],
    ['notAfter in 2027 H1: only the qualified 2027h1 shard', '2027-03-01T00:00:00Z', "Operator A 'Aurora2027h1'"],
    ['start_inclusive is inside the interval', '2026-07-01T00:00:00Z', "Operator A 'Aurora2026h2', Operator A 'Tessa2026h2', Operator B 'Sequoia2026h2'"],
    ['end_exclusive is outside it', '2027-01-01T00:00:00Z', "Operator A 'Aurora2027h1'"],
    ['notAfter in 2026 H1: the readonly, pending and rejected shards of that period are never used', '2026-03-01T00:00:00Z', ''],
  ]);
});

describe('a list that is refused', () => {
  const refused = (change: (list: ReturnType<typeof fixture>) => void) => () => {
    const list = fixture();
    change(list);
    return parseCtLogList(list);
  };
  it('a log_id that is not the SHA-256 of the key', () => {
    expect(refused((l) => (l.operators[1]!.logs[0]!.log_id = l.operators[0]!.logs[0]!.log_id))).toThrow(/log_id of Operator B 'Birch' is not the SHA-256 of its key/);
  });
  it('two logs with one description', () => {
    expect(refused((l) => (l.operators[1]!.tiled_logs[0]!.description = "Operator A 'Aurora2026h2'"))).toThrow(/two logs are described as/);
  });
  it('a state that is not one of Chrome’s', () => {
    expect(refused((l) => (l.operators[0]!.logs[0]!.state = { frozen: { timestamp: '2026-01-01T00:00:00Z' } }))).toThrow(/exactly one of pending, qualified/);
  });
  it('a tiled log without its monitoring_url', () => {
    expect(refused((l) => delete l.operators[0]!.tiled_logs[0]!.monitoring_url)).toThrow(/monitoring_url/);
  });
  it('the list of the previous format (a flat `logs` array, no operators)', () => {
    expect(() => parseCtLogList({ logs: [{ id: 'x', url: 'http://127.0.0.1/x', publicKey: 'AA==', operator: 'o', api: 'rfc6962', state: 'usable' }] })).toThrow(/operators/);
  });
});

describe('writing a v3 list (the local TesseraCT logs, test lists)', () => {
  it('reads back what it wrote, grouped by operator, tiled logs under tiled_logs', () => {
    const written = ctLogListV3(logs, { timestamp: new Date('2026-06-01T00:00:00Z') });
    expect(written.operators.map((o) => [o.name, o.logs.length, o.tiled_logs.length])).toEqual([
      ['Example Log Operator A', 3, 1],
      ['Example Log Operator B', 2, 2],
    ]);
    const strip = ({ spkiDer: _s, keyId: _k, ...rest }: CtLog) => rest;
    expect(parseCtLogList(JSON.parse(JSON.stringify(written))).map(strip)).toEqual(logs.map(strip));
  });
});
