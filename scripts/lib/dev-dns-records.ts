/**
 * The record set of the development DNS server: which records it accepts (TXT, A, AAAA, CNAME, CAA — what DCV and
 * CAA checks ask for, BR 3.2.2.4.7, 3.2.2.8), their normalized form, and the in-memory store with its optional JSON
 * file (so a restarted `npm start` keeps the applicant's records).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const devRecordTypes = ['TXT', 'A', 'AAAA', 'CNAME', 'CAA'] as const;
export type DevRecordType = (typeof devRecordTypes)[number];

export interface CaaValue {
  readonly flags: number;
  readonly tag: string;
  readonly value: string;
}

export interface DevRecord {
  readonly name: string;
  readonly type: DevRecordType;
  /** TXT: the text (split into 255-octet character-strings on the wire); A/AAAA: address; CNAME: target; CAA: CaaValue. */
  readonly value: string | CaaValue;
  readonly ttl: number;
}

export interface DevRecordInput {
  readonly name: string;
  readonly type: DevRecordType;
  readonly value: string | object;
  readonly ttl?: number;
}

export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, '');
}

export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** Validates and normalizes one record; throws an Error with a message fit for an HTTP 400. */
export function normalizeRecord(rr: DevRecordInput, zone: string, defaultTtl: number): DevRecord {
  if (typeof rr !== 'object' || rr === null) throw new Error('record must be an object');
  if (typeof rr.name !== 'string' || !rr.name.trim()) throw new Error('name is required');
  const name = normalizeName(rr.name);
  if (!inZone(name, zone)) throw new Error(`${name} is outside the zone ${zone}`);
  if (name.length > 253 || name.split('.').some((l) => l.length === 0 || l.length > 63)) {
    throw new Error(`${name} is not a valid domain name (RFC 1035 §2.3.4 limits)`);
  }
  const type = String(rr.type ?? '').toUpperCase() as DevRecordType;
  if (!devRecordTypes.includes(type)) throw new Error(`type must be one of ${devRecordTypes.join(', ')}`);
  const ttl = rr.ttl === undefined ? defaultTtl : Number(rr.ttl);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2 ** 31 - 1) throw new Error('ttl must be an integer 0..2^31-1');
  let value: string | CaaValue;
  switch (type) {
    case 'TXT':
      if (typeof rr.value !== 'string') throw new Error('TXT value must be a string');
      value = rr.value;
      break;
    case 'A':
      if (typeof rr.value !== 'string' || !net.isIPv4(rr.value)) throw new Error('A value must be an IPv4 address');
      value = rr.value;
      break;
    case 'AAAA':
      if (typeof rr.value !== 'string' || !net.isIPv6(rr.value)) throw new Error('AAAA value must be an IPv6 address');
      value = rr.value.toLowerCase();
      break;
    case 'CNAME':
      if (typeof rr.value !== 'string' || !rr.value.trim()) throw new Error('CNAME value must be a domain name');
      value = normalizeName(rr.value);
      break;
    case 'CAA': {
      const v = rr.value as Partial<CaaValue>;
      if (typeof v !== 'object' || v === null || typeof v.tag !== 'string' || typeof v.value !== 'string') {
        throw new Error('CAA value must be { flags, tag, value }');
      }
      const flags = v.flags === undefined ? 0 : Number(v.flags);
      if (!Number.isInteger(flags) || flags < 0 || flags > 255) throw new Error('CAA flags must be 0..255');
      // RFC 8659 §4.1: tags are 1..15 ASCII letters/digits; the server keeps the case given so tests can check
      // that the evaluator compares tags case-insensitively.
      if (!/^[A-Za-z0-9]{1,15}$/.test(v.tag)) throw new Error('CAA tag must be 1-15 letters or digits');
      value = { flags, tag: v.tag, value: v.value };
      break;
    }
  }
  return { name, type, value, ttl };
}

function sameValue(a: string | CaaValue, b: string | object): boolean {
  if (typeof a === 'string' || typeof b === 'string') {
    return typeof a === 'string' && typeof b === 'string' && (a === b || a === normalizeName(b) || a === b.toLowerCase());
  }
  const c = b as Partial<CaaValue>;
  return a.tag === c.tag && a.value === c.value && (c.flags === undefined || a.flags === Number(c.flags));
}

export class RecordStore {
  private records: DevRecord[] = [];
  readonly servfail = new Set<string>();

  constructor(
    readonly zone: string,
    private readonly defaultTtl: number,
    private readonly file: string | undefined,
  ) {
    if (file && existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { records?: DevRecordInput[] } | DevRecordInput[];
      const list = Array.isArray(parsed) ? parsed : (parsed.records ?? []);
      for (const rr of list) this.records.push(normalizeRecord(rr, zone, defaultTtl));
    }
  }

  private persist(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ zone: this.zone, records: this.records }, null, 2)}\n`);
    renameSync(tmp, this.file);
  }

  add(input: DevRecordInput): DevRecord {
    const rr = normalizeRecord(input, this.zone, this.defaultTtl);
    const atName = this.records.filter((r) => r.name === rr.name);
    // RFC 1034 §3.6.2: a CNAME owner has no other data. Refuse the mix rather than serve an impossible zone.
    if (rr.type === 'CNAME' ? atName.some((r) => r.type !== 'CNAME') : atName.some((r) => r.type === 'CNAME')) {
      throw new Error(`${rr.name}: CNAME and other data cannot coexist (RFC 1034 §3.6.2)`);
    }
    if (rr.type === 'CNAME') {
      // One CNAME per owner: adding replaces.
      this.records = this.records.filter((r) => !(r.name === rr.name && r.type === 'CNAME'));
    } else {
      // Adding an identical record again only refreshes its TTL.
      this.records = this.records.filter((r) => !(r.name === rr.name && r.type === rr.type && sameValue(r.value, rr.value)));
    }
    this.records.push(rr);
    this.persist();
    return rr;
  }

  remove(name: string, type?: string, value?: string | object): number {
    const n = normalizeName(name);
    const t = type?.toUpperCase();
    const before = this.records.length;
    this.records = this.records.filter(
      (r) => !(r.name === n && (t === undefined || r.type === t) && (value === undefined || sameValue(r.value, value))),
    );
    const removed = before - this.records.length;
    if (removed > 0) this.persist();
    return removed;
  }

  /** Makes the server answer SERVFAIL for `name` (a lame or broken authority) or stop doing so; the normalized name. */
  setServfail(name: string, on: boolean): string {
    const n = normalizeName(name);
    if (on) this.servfail.add(n);
    else this.servfail.delete(n);
    return n;
  }

  clear(): void {
    this.records = [];
    this.servfail.clear();
    this.persist();
  }

  list(): DevRecord[] {
    return this.records.map((r) => ({ ...r, value: typeof r.value === 'string' ? r.value : { ...r.value } }));
  }

  at(name: string): DevRecord[] {
    return this.records.filter((r) => r.name === name);
  }

  /** The name owns records or is an empty non-terminal (has names below it): NODATA rather than NXDOMAIN. */
  exists(name: string): boolean {
    return name === this.zone || this.records.some((r) => r.name === name || r.name.endsWith(`.${name}`));
  }
}

