/**
 * An in-process RFC 6962 log for fault injection only: the happy path is tested against real TesseraCT
 * logs (scripts/lib/ct-logs.ts). It answers add-pre-chain with a real SCT signed by its own P-256 key — or, by
 * mode, is down (HTTP 503), slow, signs badly, or stamps a time that is not now.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { CtLogEntry } from '../../activities/ct/log-list';
import { parseCertificate, tbsWithoutCtExtensions } from '../../pki/certificate';
import { logIdOf, precertSignedData, sctToAddChainResponse, type Sct } from '../../pki/sct';

export type FakeLogMode = 'ok' | 'down' | 'slow' | 'bad-signature' | 'wrong-timestamp';

export interface FakeCtLog {
  mode: FakeLogMode;
  /** Delay of the 'slow' mode. */
  slowMs: number;
  /** add-pre-chain requests received. */
  readonly requests: number;
  entry(id: string, operator: string, api?: CtLogEntry['api']): CtLogEntry;
  close(): Promise<void>;
}

export async function startFakeCtLog(mode: FakeLogMode = 'ok'): Promise<FakeCtLog> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  let requests = 0;
  const state = { mode, slowMs: 30_000 };
  const pending = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/ct/v1/add-pre-chain')) {
        res.writeHead(404).end();
        return;
      }
      requests++;
      if (state.mode === 'down') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('fake log is down');
        return;
      }
      const answer = () => {
        const chain = (JSON.parse(body) as { chain: string[] }).chain.map((c) => new Uint8Array(Buffer.from(c, 'base64')));
        const issuerSpkiDer = new Uint8Array(parseCertificate(chain[1]!).subjectPublicKeyInfo.toSchema().toBER(false));
        // 'wrong-timestamp': a correctly signed SCT that claims to come from an hour in the future.
        const timestamp = Date.now() + (state.mode === 'wrong-timestamp' ? 3_600_000 : 0);
        const extensions = new Uint8Array(0);
        const data = precertSignedData({ timestamp, issuerSpkiDer, tbsDer: tbsWithoutCtExtensions(chain[0]!), extensions });
        const signature = new Uint8Array(sign('sha256', data, privateKey));
        if (state.mode === 'bad-signature') signature[signature.length - 1]! ^= 0x01;
        const sct: Sct = { version: 0, logId: logIdOf(spki), timestamp, extensions, hashAlgorithm: 4, signatureAlgorithm: 3, signature };
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sctToAddChainResponse(sct)));
      };
      if (state.mode === 'slow') {
        const t = setTimeout(() => {
          pending.delete(t);
          answer();
        }, state.slowMs);
        pending.add(t);
      } else {
        answer();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    get mode() {
      return state.mode;
    },
    set mode(m: FakeLogMode) {
      state.mode = m;
    },
    get slowMs() {
      return state.slowMs;
    },
    set slowMs(ms: number) {
      state.slowMs = ms;
    },
    get requests() {
      return requests;
    },
    entry: (id, operator, api = 'rfc6962') => ({
      id,
      url: `http://127.0.0.1:${port}/${id}`,
      publicKey: Buffer.from(spki).toString('base64'),
      operator,
      api,
      state: 'usable',
    }),
    async close() {
      for (const t of pending) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
