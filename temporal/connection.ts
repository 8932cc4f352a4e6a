/**
 * Connections to the Temporal frontend, described in one place so that every client and worker of the CA connects
 * the same way (address, namespace and, in the production topology, mTLS). Workers pass `connectionOptions` to
 * `NativeConnection.connect`; everything else uses `connectCaClient`.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { CaConfig } from '../config';
import { temporalCaWorkflows, type CaWorkflows } from './client';
import { temporalOperatorWorkflows, type OperatorWorkflows } from './operator';

export interface CaConnectionOptions {
  readonly address: string;
  /** Absent: plaintext (the development server has no TLS listener). */
  readonly tls?: TLSConfig;
}

/**
 * The options every connection of the CA uses (client and worker connections accept the same shape). With
 * TEMPORAL_TLS_* set the frontend is verified against the operations CA and this process presents its own client
 * certificate (mTLS, docs/DEPLOYMENT.md); the files are read at each connection, so a renewed certificate is used by
 * the next one.
 */
export function connectionOptions(config: Pick<CaConfig, 'temporal'>): CaConnectionOptions {
  const { address, tls } = config.temporal;
  if (tls.ca === undefined && tls.cert === undefined) return { address };
  return {
    address,
    tls: {
      ...(tls.ca !== undefined ? { serverRootCACertificate: readFileSync(tls.ca) } : {}),
      ...(tls.cert !== undefined && tls.key !== undefined ? { clientCertPair: { crt: readFileSync(tls.cert), key: readFileSync(tls.key) } } : {}),
      ...(tls.serverName !== undefined ? { serverNameOverride: tls.serverName } : {}),
    },
  };
}

export interface CaTemporalClient {
  readonly client: Client;
  readonly workflows: CaWorkflows;
  close(): Promise<void>;
}

/** A client connection (API, ACME, admin CLI, the main worker's CRL requests). */
export async function connectCaClient(config: Pick<CaConfig, 'temporal' | 'crl'>): Promise<CaTemporalClient> {
  const connection = await Connection.connect(connectionOptions(config));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { client, workflows: temporalCaWorkflows(client, config), close: () => connection.close() };
}

/** The operators' connection (admin and ca CLIs): the doors' workflows plus incidents, changeover and self-audit. */
export async function connectOperatorClient(config: Pick<CaConfig, 'temporal' | 'crl' | 'operator'>): Promise<CaTemporalClient & { readonly operator: OperatorWorkflows }> {
  const connection = await Connection.connect(connectionOptions(config));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { client, workflows: temporalCaWorkflows(client, config), operator: temporalOperatorWorkflows(client, config), close: () => connection.close() };
}
