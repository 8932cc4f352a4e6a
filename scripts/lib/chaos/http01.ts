/**
 * The applicants' HTTP-01 server (RFC 8555 §8.3, BR 3.2.2.4.19) of the chaos harness's ACME orders, on port 80 of
 * 127.0.0.1 (the names resolve there in the development DNS). Its fault: it hangs — accepts connections and never
 * answers — for a while, as an overloaded or wedged web server does; the CA's fetcher must time out and retry.
 * Port 80 is machine-wide: runs that use it hold /tmp/port80.lock (docs/RELIABILITY.md).
 */
import http from 'node:http';
import type { Socket } from 'node:net';

export interface Http01Server {
  /** Serves `keyAuthorization` at /.well-known/acme-challenge/<token>. */
  set(token: string, keyAuthorization: string): void;
  setHanging(on: boolean): void;
  close(): Promise<void>;
}

export async function startHttp01Server(port = 80): Promise<Http01Server> {
  const answers = new Map<string, string>();
  const hanging = new Set<Socket>();
  let hang = false;
  const server = http.createServer((req, res) => {
    if (hang) {
      hanging.add(req.socket);
      req.socket.once('close', () => hanging.delete(req.socket));
      return;
    }
    const token = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1];
    const body = token ? answers.get(token) : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    set: (token, keyAuthorization) => void answers.set(token, keyAuthorization),
    setHanging(on) {
      hang = on;
      if (!on) for (const s of hanging) s.destroy();
    },
    async close() {
      for (const s of hanging) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
