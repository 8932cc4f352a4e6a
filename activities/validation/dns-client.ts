/**
 * The DNS stub client of the validation and CAA activities (BR 3.2.2.4.7 DNS change, BR 3.2.2.8 / RFC 8659 CAA).
 * It talks to one configured resolver (a validating recursive resolver in production, the development authoritative
 * server in development) rather than the system resolver, so every answer can be stored as evidence (BR 5.4.1)
 * together with the resolver that gave it.
 *
 * Anti-spoofing (RFC 5452): a fresh UDP socket per query (random source port), a cryptographically random query id,
 * a connected socket (only the resolver's address is accepted), and a response is used only when its id, QR bit and
 * question (name, type, class) match the query; anything else is ignored and the wait goes on.
 * Truncated UDP answers are retried over TCP (RFC 7766). Timeouts and network failures throw DnsTransportError, which
 * a caller can tell apart from an NXDOMAIN (an answer) — BR 3.2.2.8 treats a lookup failure differently from an
 * empty answer.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import { extendedErrorsOf, type ExtendedDnsError } from './dns-extended-errors';

export { describeRcode, isDnssecFailure, type ExtendedDnsError } from './dns-extended-errors';

export type DnsQueryType = 'TXT' | 'CAA' | 'CNAME' | 'A' | 'AAAA';

export interface DnsResolverAddress {
  readonly host: string;
  readonly port: number;
}

export interface DnsRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  /** TXT: the character-strings of one record concatenated; A/AAAA/CNAME: text; CAA: { flags, tag, value }. */
  readonly data: string | object;
}

export interface DnsAnswer {
  /** 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | ... */
  readonly rcode: string;
  /** The AD bit: the resolver validated the answer with DNSSEC. */
  readonly authenticatedData: boolean;
  /** RFC 8914: the resolver's reasons (a validating resolver names the DNSSEC failure behind a SERVFAIL). */
  readonly extendedErrors: ExtendedDnsError[];
  readonly answers: DnsRecord[];
  /** JSON-safe summary (header, sections, wire bytes in base64) to store as evidence. */
  readonly raw: DnsRawEvidence;
}

export interface DnsRawEvidence {
  readonly resolver: string;
  readonly transport: 'udp' | 'tcp';
  readonly truncatedOverUdp: boolean;
  readonly queriedAt: string;
  readonly rttMs: number;
  readonly question: { readonly name: string; readonly type: string; readonly class: string };
  readonly id: number;
  readonly rcode: string;
  readonly flags: { readonly aa: boolean; readonly tc: boolean; readonly rd: boolean; readonly ra: boolean; readonly ad: boolean; readonly cd: boolean };
  readonly answers: DnsRecord[];
  readonly authorities: DnsRecord[];
  readonly additionals: DnsRecord[];
  readonly extendedErrors: ExtendedDnsError[];
  readonly wireBase64: string;
}

export type DnsTransportErrorKind = 'timeout' | 'network' | 'malformed' | 'cnameChain';

/** A lookup that produced no usable answer — not an NXDOMAIN, which is an answer. */
export class DnsTransportError extends Error {
  override readonly name = 'DnsTransportError';
  constructor(
    readonly kind: DnsTransportErrorKind,
    message: string,
    readonly details: { readonly resolver: string; readonly qname: string; readonly qtype: string; readonly cause?: string },
  ) {
    super(message);
  }
}

export function isDnsTransportError(e: unknown): e is DnsTransportError {
  return e instanceof DnsTransportError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'DnsTransportError');
}

export interface QueryOptions {
  /** Budget for the whole query, UDP retransmissions and the TCP retry included (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Sets the EDNS0 DO bit (RFC 3225) so a validating resolver returns the AD bit and signatures. */
  readonly dnssecOk?: boolean;
}

/** RFC 6891 / DNS flag day 2020: advertise a payload size that avoids IP fragmentation. */
const EDNS_UDP_SIZE = 1232;
const MAX_CNAME_HOPS = 8;

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

function recordData(a: Answer): string | object {
  const data = (a as { data?: unknown }).data;
  switch (a.type) {
    case 'TXT': {
      // One TXT record may hold several character-strings; like SPF (RFC 7208 §3.3) they are concatenated.
      const parts = Array.isArray(data) ? data : [data];
      return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p))).join('');
    }
    case 'CAA': {
      const c = data as { flags?: number; tag: string; value: string };
      return { flags: c.flags ?? 0, tag: c.tag, value: c.value };
    }
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return normalizeIfName(a.type, String(data));
    default:
      return jsonSafe(data) as string | object;
  }
}

function normalizeIfName(type: string, v: string): string {
  return type === 'A' || type === 'AAAA' ? v : v.replace(/\.+$/, '');
}

function jsonSafe(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { base64: v.toString('base64') };
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function toRecord(a: Answer): DnsRecord {
  if (a.type === 'OPT') {
    const o = a as { udpPayloadSize?: number; flags?: number; extendedRcode?: number };
    return { name: '.', type: 'OPT', ttl: 0, data: { udpPayloadSize: o.udpPayloadSize, flags: o.flags, extendedRcode: o.extendedRcode } };
  }
  return { name: normalize(a.name), type: a.type, ttl: (a as { ttl?: number }).ttl ?? 0, data: recordData(a) };
}

function buildQuery(id: number, name: string, type: DnsQueryType, dnssecOk: boolean): Buffer {
  const packet: Packet = {
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [
      {
        name: '.',
        type: 'OPT',
        udpPayloadSize: EDNS_UDP_SIZE,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0,
        flag_do: dnssecOk,
        options: [],
      },
    ],
  };
  return dnsPacket.encode(packet);
}

/** The RFC 5452 §9.1 checks: same id, a response, and the very question we asked. */
function matches(resp: DecodedPacket, id: number, name: string, type: string): boolean {
  if (resp.id !== id || resp.type !== 'response') return false;
  const q = resp.questions ?? [];
  if (q.length !== 1) return false;
  return normalize(q[0]!.name) === normalize(name) && q[0]!.type === type && (q[0]!.class ?? 'IN') === 'IN';
}

function tryDecode(buf: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
}

interface Exchange {
  readonly packet: DecodedPacket;
  readonly wire: Buffer;
}

function udpExchange(r: DnsResolverAddress, query: Buffer, id: number, name: string, type: string, deadline: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(r.host) ? 'udp6' : 'udp4');
    let done = false;
    let retransmit: NodeJS.Timeout | undefined;
    const finish = (err: Error | undefined, ex?: Exchange): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(retransmit);
      socket.close();
      if (err) reject(err);
      else resolve(ex!);
    };
    const timer = setTimeout(() => finish(new Error('timeout')), Math.max(0, deadline - Date.now()));
    socket.on('error', (e) => finish(e));
    socket.on('message', (msg) => {
      const packet = tryDecode(msg);
      // Mismatched or garbage datagrams are dropped, not fatal: a spoofer must not be able to end the wait.
      if (packet && matches(packet, id, name, type)) finish(undefined, { packet, wire: msg });
    });
    // Retransmit once after a third of the budget: UDP loses packets (RFC 1035 §4.2.1).
    const send = (): void => socket.send(query, (e) => e && finish(e));
    socket.connect(r.port, r.host, () => {
      send();
      retransmit = setTimeout(send, Math.max(200, (deadline - Date.now()) / 3));
    });
  });
}

function tcpExchange(r: DnsResolverAddress, query: Buffer, id: number, name: string, type: string, deadline: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: r.host, port: r.port });
    let done = false;
    const finish = (err: Error | undefined, ex?: Exchange): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(ex!);
    };
    const timer = setTimeout(() => finish(new Error('timeout')), Math.max(0, deadline - Date.now()));
    let buf = Buffer.alloc(0);
    sock.on('error', (e) => finish(e));
    sock.on('connect', () => {
      const framed = Buffer.alloc(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      sock.write(framed);
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        const packet = tryDecode(msg);
        if (!packet) return finish(new Error('malformed response over TCP'));
        if (matches(packet, id, name, type)) return finish(undefined, { packet, wire: msg });
      }
    });
    sock.on('end', () => finish(new Error('connection closed before a response')));
  });
}

/** One question to one resolver: UDP first, TCP when the UDP answer is truncated. */
export async function queryDns(resolver: DnsResolverAddress, name: string, type: DnsQueryType, opts: QueryOptions = {}): Promise<DnsAnswer> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const qname = normalize(name);
  const resolverName = net.isIPv6(resolver.host) ? `[${resolver.host}]:${resolver.port}` : `${resolver.host}:${resolver.port}`;
  const details = { resolver: resolverName, qname, qtype: type };
  const started = Date.now();
  const deadline = started + timeoutMs;

  const attempt = async (transport: 'udp' | 'tcp'): Promise<Exchange> => {
    const id = randomInt(0, 0x10000);
    const query = buildQuery(id, qname, type, opts.dnssecOk ?? false);
    try {
      return await (transport === 'udp' ? udpExchange : tcpExchange)(resolver, query, id, qname, type, deadline);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (msg === 'timeout') {
        throw new DnsTransportError('timeout', `DNS ${type} ${qname} @${resolverName}: no answer within ${timeoutMs} ms (${transport})`, details);
      }
      const kind = msg.startsWith('malformed') ? 'malformed' : 'network';
      throw new DnsTransportError(kind, `DNS ${type} ${qname} @${resolverName} over ${transport} failed: ${msg}`, { ...details, cause: msg });
    }
  };

  let transport: 'udp' | 'tcp' = 'udp';
  let ex = await attempt('udp');
  const truncatedOverUdp = ex.packet.flag_tc;
  if (truncatedOverUdp) {
    transport = 'tcp';
    ex = await attempt('tcp');
  }
  const p = ex.packet;
  const rcode = (p as unknown as { rcode?: string }).rcode ?? 'RCODE_UNKNOWN';
  const answers = (p.answers ?? []).map(toRecord);
  const raw: DnsRawEvidence = {
    resolver: resolverName,
    transport,
    truncatedOverUdp,
    queriedAt: new Date(started).toISOString(),
    rttMs: Date.now() - started,
    question: { name: qname, type, class: 'IN' },
    id: p.id ?? 0,
    rcode,
    flags: { aa: p.flag_aa, tc: p.flag_tc, rd: p.flag_rd, ra: p.flag_ra, ad: p.flag_ad, cd: p.flag_cd },
    answers,
    authorities: (p.authorities ?? []).map(toRecord),
    additionals: (p.additionals ?? []).map(toRecord),
    extendedErrors: extendedErrorsOf(p),
    wireBase64: ex.wire.toString('base64'),
  };
  return { rcode, authenticatedData: p.flag_ad, extendedErrors: raw.extendedErrors, answers, raw };
}

export interface TxtLookup {
  readonly rcode: string;
  /** True only when every response on the way had the AD bit. */
  readonly ad: boolean;
  /** The TXT values at the end of the chain, one string per record. */
  readonly values: string[];
  /** The queried name, then each CNAME target followed. */
  readonly chain: string[];
  /** The last response. */
  readonly answer: DnsAnswer;
  /** Every response, in order (evidence). */
  readonly responses: DnsAnswer[];
}

/**
 * TXT records at `name`, following CNAMEs (at most 8 hops): a recursive resolver returns the whole chain in one
 * answer, an authoritative server only the part inside its zone, so unanswered targets are asked for again.
 * Applicants commonly delegate `_acme-challenge` with a CNAME (BR 3.2.2.4.7 allows the record to be found by
 * following it).
 */
export async function lookupTxt(resolver: DnsResolverAddress, name: string, opts: QueryOptions = {}): Promise<TxtLookup> {
  const r = await lookupFollowingCnames(resolver, name, 'TXT', opts);
  return { ...r, values: r.records.map((a) => String(a.data)) };
}

export interface ChainedLookup extends Omit<TxtLookup, 'values'> {
  /** The records of the asked type at the end of the chain. */
  readonly records: DnsRecord[];
}

/**
 * Records of `type` at `name`, following CNAMEs (at most 8 hops) the same way for every type: TXT for DCV
 * (BR 3.2.2.4.7), CAA for RFC 8659 §3 (the CAA RRset of a name that is a CNAME is the target's).
 */
export async function lookupFollowingCnames(
  resolver: DnsResolverAddress,
  name: string,
  type: Exclude<DnsQueryType, 'CNAME'>,
  opts: QueryOptions = {},
): Promise<ChainedLookup> {
  const chain = [normalize(name)];
  const responses: DnsAnswer[] = [];
  let current = chain[0]!;
  for (;;) {
    const answer = await queryDns(resolver, current, type, opts);
    responses.push(answer);
    const ad = responses.every((r) => r.authenticatedData);
    let owner = current;
    for (;;) {
      const cname = answer.answers.find((a) => a.type === 'CNAME' && a.name === owner);
      if (!cname) break;
      owner = normalize(String(cname.data));
      if (chain.includes(owner) || chain.length > MAX_CNAME_HOPS) {
        throw new DnsTransportError(
          'cnameChain',
          chain.includes(owner)
            ? `CNAME loop at ${owner} (chain ${chain.join(' -> ')})`
            : `CNAME chain from ${chain[0]} longer than ${MAX_CNAME_HOPS} hops`,
          { resolver: answer.raw.resolver, qname: chain[0]!, qtype: type },
        );
      }
      chain.push(owner);
    }
    const records = answer.answers.filter((a) => a.type === type && a.name === owner);
    const unanswered = answer.rcode === 'NOERROR' && records.length === 0 && owner !== current;
    const authorityHasSoa = answer.raw.authorities.some((a) => a.type === 'SOA');
    // A NODATA (SOA in authority) for the target is final; a bare CNAME without it means the target lies outside
    // the answering server's data and must be asked for.
    if (!unanswered || authorityHasSoa) return { rcode: answer.rcode, ad, records, chain, answer, responses };
    current = owner;
  }
}
