/**
 * The development authoritative DNS server (docs/ARCHITECTURE.md "Services": a test authoritative server the tests
 * control — TXT, CAA, A, CNAME). It is the resolver target of DCV (CP 3.2.2.4, BR 3.2.2.4.7 DNS change) and CAA
 * checks (CP 4.2.4, BR 3.2.2.8 / RFC 8659) in development and in the integration tests.
 *
 * Modeled on pebble-challtestsrv (an HTTP admin API mutating an in-memory record set, dev-dns-admin.ts) but serving
 * a proper authoritative zone (dev-dns-answers.ts) over UDP and TCP on one port (this file); the records and their
 * optional JSON file are dev-dns-records.ts.
 */
import dgram from 'node:dgram';
import type http from 'node:http';
import net from 'node:net';
import { createAdminServer } from './dev-dns-admin';
import { respond } from './dev-dns-answers';
import { type DevRecord, type DevRecordInput, type DevRecordType, normalizeName, RecordStore } from './dev-dns-records';

export { devRecordTypes, normalizeName, normalizeRecord } from './dev-dns-records';
export type { CaaValue, DevRecord, DevRecordInput, DevRecordType } from './dev-dns-records';

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

  const api = createAdminServer(store, { zone, port, log });
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
    setServfail: (name, on) => void store.setServfail(name, on),
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
