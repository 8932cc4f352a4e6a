/**
 * CT log faults for the chaos harness: an HTTP proxy in front of each local TesseraCT log (scripts/lib/ct-logs.ts),
 * listed in the log list the CA reads instead of the logs themselves. Per log, for a while:
 *   - `down`: the connection is dropped (the log is unreachable);
 *   - `slow`: every answer comes 5 s late;
 *   - `invalid-sct`: the SCT's signature is corrupted, so it does not verify (RFC 6962 §3.2).
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ctLogListV3, type CtLogEntry } from '../../../activities/ct/log-list';

export type CtFault = 'down' | 'slow' | 'invalid-sct';

export interface CtFaultProxy {
  readonly logIds: readonly string[];
  setFault(logId: string, fault: CtFault | null): void;
  close(): Promise<void>;
}

/** The answer with its SCT signature's last byte flipped (an SCT the log's key does not verify). */
function corruptSct(body: Buffer): Buffer {
  try {
    const json = JSON.parse(body.toString('utf8')) as { signature?: string };
    if (!json.signature) return body;
    const sig = Buffer.from(json.signature, 'base64');
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 0xff;
    return Buffer.from(JSON.stringify({ ...json, signature: sig.toString('base64') }));
  } catch {
    return body;
  }
}

/** Starts one proxy per log and writes `logListFile` with the proxies' URLs (keys, operators, states unchanged). */
export async function startCtFaultProxy(logs: readonly CtLogEntry[], logListFile: string): Promise<CtFaultProxy> {
  const faults = new Map<string, CtFault>();
  const servers: http.Server[] = [];
  const proxied: CtLogEntry[] = [];
  for (const log of logs) {
    const upstream = new URL(log.url);
    const server = http.createServer((req, res) => {
      const fault = faults.get(log.id);
      if (fault === 'down') {
        req.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const forward = () => {
          const out = http.request(
            { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
            (answer) => {
              const body: Buffer[] = [];
              answer.on('data', (c: Buffer) => body.push(c));
              answer.on('end', () => {
                let payload: Buffer = Buffer.concat(body);
                if (faults.get(log.id) === 'invalid-sct' && answer.statusCode === 200) payload = corruptSct(payload);
                const headers = { ...answer.headers, 'content-length': String(payload.length) };
                delete headers['transfer-encoding'];
                res.writeHead(answer.statusCode ?? 502, headers);
                res.end(payload);
              });
            },
          );
          out.on('error', () => {
            res.writeHead(502);
            res.end();
          });
          out.end(Buffer.concat(chunks));
        };
        if (fault === 'slow') setTimeout(forward, 5_000);
        else forward();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    servers.push(server);
    const port = (server.address() as AddressInfo).port;
    proxied.push({ ...log, url: `http://127.0.0.1:${port}${upstream.pathname}` });
  }
  writeFileSync(logListFile, `${JSON.stringify(ctLogListV3(proxied), null, 2)}\n`);
  return {
    logIds: logs.map((l) => l.id),
    setFault(logId, fault) {
      if (fault) faults.set(logId, fault);
      else faults.delete(logId);
    },
    async close() {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
