import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { connectionOptions } from '../../temporal/connection';

describe('connectionOptions (every Temporal client and worker of the CA)', () => {
  it('is plaintext when no TEMPORAL_TLS_* is set (the development server)', () => {
    expect(connectionOptions(loadConfig({ TEMPORAL_ADDRESS: '127.0.0.1:7233' }))).toEqual({ address: '127.0.0.1:7233' });
  });

  it('with the TLS files set: verifies the frontend against the operations CA and presents the client certificate', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'temporal-tls-'));
    for (const f of ['ca.pem', 'client.pem', 'client-key.pem']) writeFileSync(path.join(dir, f), `-----${f}-----\n`);
    const options = connectionOptions(
      loadConfig({
        TEMPORAL_ADDRESS: '10.231.1.1:21233',
        TEMPORAL_TLS_CA: path.join(dir, 'ca.pem'),
        TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'),
        TEMPORAL_TLS_KEY: path.join(dir, 'client-key.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal-frontend',
      }),
    );
    expect(options.address).toBe('10.231.1.1:21233');
    expect(options.tls?.serverNameOverride).toBe('temporal-frontend');
    expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toBe('-----ca.pem-----\n');
    expect(Buffer.from(options.tls!.clientCertPair!.crt).toString()).toBe('-----client.pem-----\n');
    expect(Buffer.from(options.tls!.clientCertPair!.key).toString()).toBe('-----client-key.pem-----\n');
  });
});
