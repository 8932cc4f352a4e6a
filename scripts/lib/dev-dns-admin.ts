/**
 * The development DNS server's admin HTTP API on 127.0.0.1, modeled on pebble-challtestsrv: tests, `npm run dns` and
 * the ACME clients' hooks add and remove records, and switch SERVFAIL on for a name. The same API fronts the stack's
 * signed zone in Knot (scripts/lib/stack/knot-records.ts), so the clients work against either.
 */
import http from 'node:http';
import type { DevRecord, DevRecordInput, DevRecordType } from './dev-dns-records';

/** What the admin API edits: the development server's in-memory store, or Knot's zone by dynamic update. */
export interface RecordBackend {
  add(rr: DevRecordInput): DevRecord | Promise<DevRecord>;
  /** Removes the records at `name` (of `type`, with `value` when given); how many. */
  remove(name: string, type?: DevRecordType, value?: string | object): number | Promise<number>;
  clear(): void | Promise<void>;
  list(): DevRecord[] | Promise<DevRecord[]>;
  /** SERVFAIL for a name (the normalized name); absent where the server cannot fake it (Knot: see its bogus subzone). */
  setServfail?(name: string, on: boolean): string;
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

/** GET/POST/DELETE /records, POST /servfail, POST /clear, GET /health. `port` is the DNS port (for /health). */
export function createAdminServer(store: RecordBackend, opts: { zone: string; port: number; log: (line: string) => void }): http.Server {
  const { zone, port, log } = opts;
  return http.createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    void (async () => {
      try {
        if (url.pathname === '/records' && req.method === 'GET') return send(200, { zone, records: await store.list() });
        if (url.pathname === '/records' && req.method === 'POST') {
          const body = (await readJson(req)) as DevRecordInput;
          const rr = await store.add(body);
          log(`dev-dns: added ${rr.type} ${rr.name}`);
          return send(201, rr);
        }
        if (url.pathname === '/records' && req.method === 'DELETE') {
          const body = (await readJson(req)) as { name?: unknown; type?: unknown; value?: unknown };
          if (typeof body.name !== 'string' || !body.name) return send(400, { error: 'name is required' });
          const type = typeof body.type === 'string' ? (body.type.toUpperCase() as DevRecordType) : undefined;
          const removed = await store.remove(body.name, type, body.value as string | object | undefined);
          return send(200, { removed });
        }
        if (url.pathname === '/servfail' && req.method === 'POST') {
          const body = (await readJson(req)) as { name?: unknown; on?: unknown };
          if (typeof body.name !== 'string' || !body.name) return send(400, { error: 'name is required' });
          if (!store.setServfail) return send(501, { error: 'this server cannot fake SERVFAIL' });
          const on = body.on !== false;
          return send(200, { name: store.setServfail(body.name, on), servfail: on });
        }
        if (url.pathname === '/clear' && req.method === 'POST') {
          await store.clear();
          return send(200, { cleared: true });
        }
        if (url.pathname === '/health' && req.method === 'GET') return send(200, { ok: true, zone, port });
        return send(404, { error: `no route ${req.method} ${url.pathname}` });
      } catch (e) {
        return send(400, { error: e instanceof Error ? e.message : String(e) });
      }
    })();
  });
}
