/**
 * The dev zone's records in the stack, edited by RFC 2136 dynamic update to Knot, authenticated with TSIG (RFC 8945),
 * and read back by zone transfer: Knot re-signs what changed at once, so a TXT record published for DCV is served
 * with a valid RRSIG. Behind the same admin HTTP API as the development server (scripts/lib/dev-dns-admin.ts), so
 * `npm run dns` and the ACME clients' hook work unchanged (CA_DEV_DNS_ADMIN_PORT / CA_DEV_DNS_ADMIN_URL).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAdminServer, type RecordBackend } from '../dev-dns-admin';
import { devRecordTypes, normalizeName, normalizeRecord, type CaaValue, type DevRecord, type DevRecordInput, type DevRecordType } from '../dev-dns-records';
import { run } from './host';

/** A DNS character-string in zone-file syntax (RFC 1035 §5.1): quoted, `"` and `\` escaped, at most 255 octets each. */
function quoted(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const parts: string[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += 255) parts.push(bytes.subarray(i, i + 255).toString('utf8'));
  return parts.map((p) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(' ');
}

/** The character-strings of a TXT/CAA rdata as kdig prints them, decoded (\DDD and \X escapes). */
function unquoted(rdata: string): string {
  const out: string[] = [];
  for (const m of rdata.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    out.push(m[1]!.replace(/\\(\d{3}|.)/g, (_, e: string) => (/^\d{3}$/.test(e) ? String.fromCharCode(Number(e)) : e)));
  }
  return out.join('');
}

function rdataOf(rr: DevRecord): string {
  switch (rr.type) {
    case 'TXT':
      return quoted(rr.value as string);
    case 'CAA': {
      const c = rr.value as CaaValue;
      return `${c.flags} ${c.tag} ${quoted(c.value)}`;
    }
    case 'CNAME':
      return `${rr.value as string}.`;
    default:
      return rr.value as string;
  }
}

function parseRecord(line: string, zone: string): DevRecord | undefined {
  const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line.trim());
  if (!m || !(devRecordTypes as readonly string[]).includes(m[3]!)) return undefined;
  const [name, ttl, type, rdata] = [normalizeName(m[1]!), Number(m[2]), m[3] as DevRecordType, m[4]!.trim()];
  let value: string | object;
  if (type === 'TXT') value = unquoted(rdata);
  else if (type === 'CAA') {
    const c = /^(\d+)\s+(\S+)\s+(.*)$/.exec(rdata)!;
    value = { flags: Number(c[1]), tag: c[2]!, value: unquoted(c[3]!) };
  } else value = type === 'CNAME' ? normalizeName(rdata) : rdata.toLowerCase();
  return normalizeRecord({ name, type, value, ttl }, zone, ttl);
}

const sameRecord = (a: DevRecord, b: DevRecord) => a.name === b.name && a.type === b.type && rdataOf(a) === rdataOf(b);

export class KnotRecords implements RecordBackend {
  constructor(
    private readonly zone: string,
    private readonly server: { host: string; port: number },
    private readonly tsigKeyFile: string,
    /** Names the stack itself publishes (the name server's address): never listed, never cleared. */
    private readonly reserved: readonly string[],
    private readonly defaultTtl = 60,
  ) {}

  private async update(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const dir = mkdtempSync(path.join(tmpdir(), 'knsupdate-'));
    try {
      const file = path.join(dir, 'update');
      writeFileSync(file, [`server ${this.server.host} ${this.server.port}`, `zone ${this.zone}.`, ...lines, 'send', ''].join('\n'), { mode: 0o600 });
      await run('knsupdate', ['-k', this.tsigKeyFile, file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async list(): Promise<DevRecord[]> {
    const out = await run('kdig', [`@${this.server.host}`, '-p', String(this.server.port), '-k', this.tsigKeyFile, '+noall', '+answer', 'AXFR', `${this.zone}.`]);
    const records = out.split('\n').map((l) => parseRecord(l, this.zone)).filter((r): r is DevRecord => r !== undefined);
    // A transfer ends with the SOA again; records are listed once.
    return records.filter((r, i) => !this.reserved.includes(r.name) && records.findIndex((x) => sameRecord(x, r)) === i);
  }

  async add(input: DevRecordInput): Promise<DevRecord> {
    const rr = normalizeRecord(input, this.zone, this.defaultTtl);
    if (this.reserved.includes(rr.name)) throw new Error(`${rr.name} is the stack's own record`);
    const atName = (await this.list()).filter((r) => r.name === rr.name);
    // RFC 1034 §3.6.2: a CNAME owner has no other data (Knot would silently ignore the update).
    if (rr.type === 'CNAME' ? atName.some((r) => r.type !== 'CNAME') : atName.some((r) => r.type === 'CNAME')) {
      throw new Error(`${rr.name}: CNAME and other data cannot coexist (RFC 1034 §3.6.2)`);
    }
    await this.update([...(rr.type === 'CNAME' ? [`update delete ${rr.name}. CNAME`] : []), `update add ${rr.name}. ${rr.ttl} ${rr.type} ${rdataOf(rr)}`]);
    return rr;
  }

  async remove(name: string, type?: DevRecordType, value?: string | object): Promise<number> {
    const n = normalizeName(name);
    const t = type?.toUpperCase();
    const probe = value === undefined || t === undefined ? undefined : normalizeRecord({ name: n, type: t as DevRecordType, value }, this.zone, this.defaultTtl);
    const doomed = (await this.list()).filter((r) => r.name === n && (t === undefined || r.type === t) && (probe === undefined || sameRecord(r, probe)));
    await this.update(doomed.map((r) => `update delete ${r.name}. ${r.type} ${rdataOf(r)}`));
    return doomed.length;
  }

  async clear(): Promise<void> {
    await this.update((await this.list()).map((r) => `update delete ${r.name}. ${r.type} ${rdataOf(r)}`));
  }
}

/** The admin HTTP API on 127.0.0.1:`adminPort` in front of Knot (the routes of the development server's). */
export async function startKnotAdmin(records: KnotRecords, opts: { zone: string; dnsPort: number; adminPort: number; log: (line: string) => void }): Promise<http.Server> {
  const server = createAdminServer(records, { zone: opts.zone, port: opts.dnsPort, log: opts.log });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.adminPort, '127.0.0.1', () => resolve());
  });
  return server;
}
