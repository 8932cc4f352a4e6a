/**
 * How the development DNS server answers one query, as an authoritative server for its zone: AA bit, NXDOMAIN vs
 * NODATA with the SOA in the authority section (RFC 2308), REFUSED outside the zone, CNAME chasing inside the zone
 * (RFC 1034 §4.3.2), TC over UDP when the answer does not fit (RFC 7766), and SERVFAIL for the names a test broke
 * (BR 3.2.2.8: a CAA lookup failure is not permission to issue).
 */
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';
import { type CaaValue, type DevRecord, inZone, normalizeName, type RecordStore } from './dev-dns-records';

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** RFC 6891 §6.2.5 / DNS flag day 2020: a safe EDNS payload size that avoids IP fragmentation. */
const EDNS_UDP_SIZE = 1232;
/** RFC 1035 §4.2.1: without EDNS, UDP messages are limited to 512 octets. */
const CLASSIC_UDP_SIZE = 512;
/** How many in-zone CNAMEs one answer chases (the client's own limit is 8 hops). */
const MAX_CNAME_HOPS = 16;

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
export function respond(store: RecordStore, msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
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

