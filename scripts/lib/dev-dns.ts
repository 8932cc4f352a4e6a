/**
 * The development authoritative DNS server (ARCHITECTURE.md "Services": a test authoritative server the tests
 * control — TXT, CAA, A, CNAME). It is the resolver target of DCV (CP 3.2.2.4, BR 3.2.2.4.7 DNS change) and CAA
 * checks (CP 4.2.4, BR 3.2.2.8 / RFC 8659) in development and in the integration tests.
 *
 * Modeled on pebble-challtestsrv (an HTTP admin API mutating an in-memory record set) but serving a proper
 * authoritative zone: AA bit, NXDOMAIN vs NODATA with the SOA in the authority section (RFC 2308), REFUSED
 * outside the zone, CNAME chasing inside the zone (RFC 1034 §4.3.2), TC bit over UDP and the same answers over TCP
 * (RFC 7766), and a per-name SERVFAIL switch so tests can exercise a lame/broken authority (BR 3.2.2.8: a CAA lookup
 * failure is not permission to issue).
 *
 * Records may be persisted to a JSON file so that a restarted `npm start` keeps the applicant's records.
 */
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';

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

export interface DevDns {
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  readonly zone: string;
  add(rr: DevRecordInput): void;
  /** Removes the records at `name` (of `type`, with `value` when given); returns how many were removed. */
  remove(name: string, type?: DevRecordType, value?: string | object): number;
  clear(): void;
  list(): DevRecord[];
  setServfail(name: string, on: boolean): void;
  stop(): Promise<void>;
}

export interface DevDnsOptions {
  readonly host?: string;
  /** UDP and TCP port (0 → a free port, the same number for both). */
  readonly port: number;
  /** Admin HTTP API port on 127.0.0.1 (0 or omitted → a free port). */
  readonly adminPort?: number;
  readonly zone: string;
  readonly recordsFile?: string;
  readonly defaultTtl?: number;
  readonly log?: (line: string) => void;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** RFC 6891 §6.2.5 / DNS flag day 2020: a safe EDNS payload size that avoids IP fragmentation. */
const EDNS_UDP_SIZE = 1232;
/** RFC 1035 §4.2.1: without EDNS, UDP messages are limited to 512 octets. */
const CLASSIC_UDP_SIZE = 512;
/** How many in-zone CNAMEs one answer chases (the client's own limit is 8 hops). */
const MAX_CNAME_HOPS = 16;

export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, '');
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

function isIPv4(v: string): boolean {
  return net.isIPv4(v);
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
      if (typeof rr.value !== 'string' || !isIPv4(rr.value)) throw new Error('A value must be an IPv4 address');
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

/** TXT strings longer than 255 octets are split into several character-strings (RFC 1035 §3.3.14). */
function txtChunks(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return [Buffer.alloc(0)];
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  return out;
}

function toWire(rr: DevRecord): Answer {
  const base = { name: rr.name, ttl: rr.ttl, class: 'IN' as const };
  switch (rr.type) {
    case 'TXT':
      return { ...base, type: 'TXT', data: txtChunks(rr.value as string) };
    case 'A':
    case 'AAAA':
    case 'CNAME':
      return { ...base, type: rr.type, data: rr.value as string };
    case 'CAA': {
      const v = rr.value as CaaValue;
      // dns-packet's CAA encoder overwrites flags when issuerCritical is set: pass flags only.
      return { ...base, type: 'CAA', data: { flags: v.flags, tag: v.tag as 'issue', value: v.value } };
    }
  }
}

class RecordStore {
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

interface Answered {
  rcode: number;
  aa: boolean;
  answers: Answer[];
  authorities: Answer[];
}

/** RFC 2308 §5: in a negative answer the SOA's TTL is min(SOA TTL, SOA minimum), i.e. the negative-cache TTL. */
const NEGATIVE_TTL = 5;

function soa(zone: string, ttl = 60): Answer {
  return {
    name: zone,
    type: 'SOA',
    class: 'IN',
    ttl,
    data: {
      mname: `ns1.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      // RFC 2308 §4: the SOA minimum is the negative-caching TTL; short so tests see their changes.
      minimum: NEGATIVE_TTL,
    },
  };
}

function resolve(store: RecordStore, question: Question): Answered {
  const zone = store.zone;
  const qname = normalizeName(question.name);
  const qtype: string = question.type;
  if (!inZone(qname, zone)) return { rcode: RCODE.REFUSED, aa: false, answers: [], authorities: [] };
  if (store.servfail.has(qname)) return { rcode: RCODE.SERVFAIL, aa: false, answers: [], authorities: [] };

  const answers: Answer[] = [];
  const visited = new Set<string>();
  let name = qname;
  for (let hop = 0; ; hop++) {
    if (hop > MAX_CNAME_HOPS || visited.has(name)) {
      // A long chain or a loop: give what we have, the client applies its own hop limit (as resolvers do).
      return { rcode: RCODE.NOERROR, aa: true, answers, authorities: [] };
    }
    visited.add(name);
    if (hop > 0 && (!inZone(name, zone) || store.servfail.has(name))) {
      // The chain leaves our authority (or hits a broken name): the resolver continues from the CNAME.
      return { rcode: RCODE.NOERROR, aa: true, answers, authorities: [] };
    }
    const here = store.at(name);
    const apex: Answer[] =
      name === zone
        ? [soa(zone), { name: zone, type: 'NS', class: 'IN', ttl: 60, data: `ns1.${zone}` }]
        : [];
    const matching = [...here.map(toWire), ...apex].filter((a) => qtype === 'ANY' || a.type === qtype);
    if (matching.length > 0) {
      answers.push(...matching);
      return { rcode: RCODE.NOERROR, aa: true, answers, authorities: [] };
    }
    const cname = here.find((r) => r.type === 'CNAME');
    if (cname && qtype !== 'CNAME') {
      answers.push(toWire(cname));
      name = cname.value as string;
      continue;
    }
    // RFC 2308 §2.1/§2.2: NXDOMAIN or NODATA, both with the zone SOA in the authority section. RFC 6604: after a
    // CNAME the rcode describes the last name of the chain.
    const rcode = store.exists(name) ? RCODE.NOERROR : RCODE.NXDOMAIN;
    return { rcode, aa: true, answers, authorities: [soa(zone, NEGATIVE_TTL)] };
  }
}

/** Builds the response to one query message; `maxSize` applies to UDP (TC bit when the answer does not fit). */
function respond(store: RecordStore, msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
  let query: DecodedPacket;
  try {
    query = dnsPacket.decode(msg);
  } catch {
    if (msg.length < 12) return undefined;
    // Echo the id with FORMERR (RFC 1035 §4.1.1) when at least the header is readable.
    const hdr = Buffer.alloc(12);
    msg.copy(hdr, 0, 0, 2);
    hdr.writeUInt16BE(0x8000 | RCODE.FORMERR, 2);
    return hdr;
  }
  if (query.type !== 'query') return undefined;
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number; flags?: number } | undefined;
  const rd = query.flags !== undefined ? query.flags & dnsPacket.RECURSION_DESIRED : 0;
  const opcode = (query as unknown as { opcode?: string }).opcode;
  const questions = query.questions ?? [];
  let result: Answered;
  if (opcode !== 'QUERY') result = { rcode: RCODE.NOTIMP, aa: false, answers: [], authorities: [] };
  else if (questions.length !== 1) result = { rcode: RCODE.FORMERR, aa: false, answers: [], authorities: [] };
  else result = resolve(store, questions[0]!);

  const additionals: Answer[] = opt
    ? [{ name: '.', type: 'OPT', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
    : [];
  const flags = rd | (result.aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | result.rcode;
  const full: Packet = {
    type: 'response',
    id: query.id ?? 0,
    flags,
    questions,
    answers: result.answers,
    authorities: result.authorities,
    additionals,
  };
  let wire = dnsPacket.encode(full);
  if (transport === 'udp') {
    const limit = opt ? Math.max(CLASSIC_UDP_SIZE, Math.min(opt.udpPayloadSize ?? CLASSIC_UDP_SIZE, EDNS_UDP_SIZE)) : CLASSIC_UDP_SIZE;
    if (wire.length > limit) {
      // RFC 2181 §9 / RFC 7766: drop the sections and set TC so the client retries over TCP.
      wire = dnsPacket.encode({ ...full, flags: flags | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [] });
    }
  }
  return wire;
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1 << 20) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      try {
        resolveBody(text ? JSON.parse(text) : {});
      } catch {
        reject(new Error('body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

function listen(server: net.Server | http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen((server.address() as net.AddressInfo).port);
    });
  });
}

function bindUdp(socket: dgram.Socket, port: number, host: string): Promise<number> {
  return new Promise((resolveBind, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolveBind(socket.address().port);
    });
  });
}

export async function startDevDnsServer(opts: DevDnsOptions): Promise<DevDns> {
  const host = opts.host ?? '127.0.0.1';
  const zone = normalizeName(opts.zone);
  const log = opts.log ?? (() => {});
  const store = new RecordStore(zone, opts.defaultTtl ?? 60, opts.recordsFile);

  // UDP and TCP on one port number; with port 0, take UDP's ephemeral port and retry if TCP's is busy.
  let udp!: dgram.Socket;
  let tcp!: net.Server;
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    port = await bindUdp(udp, opts.port, host);
    tcp = net.createServer();
    try {
      await listen(tcp, port, host);
      break;
    } catch (e) {
      udp.close();
      if (opts.port !== 0 || attempt >= 5) throw e;
    }
  }

  udp.on('message', (msg, rinfo) => {
    const out = respond(store, msg, 'udp');
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  udp.on('error', (e) => log(`dev-dns udp error: ${e.message}`));

  const sockets = new Set<net.Socket>();
  tcp.on('connection', (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.setTimeout(10_000, () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // RFC 1035 §4.2.2 / RFC 7766 §8: each message is preceded by a two-octet length; several may be pipelined.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const out = respond(store, Buffer.from(msg), 'tcp');
        if (out) {
          const framed = Buffer.alloc(2 + out.length);
          framed.writeUInt16BE(out.length, 0);
          out.copy(framed, 2);
          sock.write(framed);
        }
      }
    });
  });

  const api = http.createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    void (async () => {
      try {
        if (url.pathname === '/records' && req.method === 'GET') return send(200, { zone, records: store.list() });
        if (url.pathname === '/records' && req.method === 'POST') {
          const body = (await readJson(req)) as DevRecordInput;
          const rr = store.add(body);
          log(`dev-dns: added ${rr.type} ${rr.name}`);
          return send(201, rr);
        }
        if (url.pathname === '/records' && req.method === 'DELETE') {
          const body = (await readJson(req)) as { name?: unknown; type?: unknown; value?: unknown };
          if (typeof body.name !== 'string' || !body.name) return send(400, { error: 'name is required' });
          const type = typeof body.type === 'string' ? (body.type.toUpperCase() as DevRecordType) : undefined;
          const removed = store.remove(body.name, type, body.value as string | object | undefined);
          return send(200, { removed });
        }
        if (url.pathname === '/servfail' && req.method === 'POST') {
          const body = (await readJson(req)) as { name?: unknown; on?: unknown };
          if (typeof body.name !== 'string' || !body.name) return send(400, { error: 'name is required' });
          const name = normalizeName(body.name);
          if (body.on === false) store.servfail.delete(name);
          else store.servfail.add(name);
          return send(200, { name, servfail: store.servfail.has(name) });
        }
        if (url.pathname === '/clear' && req.method === 'POST') {
          store.clear();
          return send(200, { cleared: true });
        }
        if (url.pathname === '/health' && req.method === 'GET') return send(200, { ok: true, zone, port });
        return send(404, { error: `no route ${req.method} ${url.pathname}` });
      } catch (e) {
        return send(400, { error: e instanceof Error ? e.message : String(e) });
      }
    })();
  });
  let adminPort: number;
  try {
    adminPort = await listen(api, opts.adminPort ?? 0, '127.0.0.1');
  } catch (e) {
    udp.close();
    tcp.close();
    throw e;
  }
  log(`dev DNS for ${zone} on ${host}:${port} (udp+tcp), admin http://127.0.0.1:${adminPort}`);

  return {
    host,
    port,
    adminPort,
    zone,
    add: (rr) => void store.add(rr),
    remove: (name, type, value) => store.remove(name, type, value),
    clear: () => store.clear(),
    list: () => store.list(),
    setServfail: (name, on) => {
      const n = normalizeName(name);
      if (on) store.servfail.add(n);
      else store.servfail.delete(n);
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      api.closeAllConnections();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
        new Promise<void>((r) => api.close(() => r())),
      ]);
    },
  };
}
