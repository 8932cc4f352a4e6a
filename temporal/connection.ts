/**
 * Connections to the Temporal frontend, described in one place so that every client and worker of the CA connects
 * the same way (address, namespace and, in the production topology, mTLS). Workers pass `connectionOptions` to
 * `NativeConnection.connect`; everything else uses `connectCaClient`.
 */
import { Client, Connection } from '@temporalio/client';
import type { CaConfig } from '../config';
import { temporalCaWorkflows, type CaWorkflows } from './client';
import { temporalOperatorWorkflows, type OperatorWorkflows } from './operator';

/** The options every connection of the CA uses (client and worker connections accept the same shape). */
export function connectionOptions(config: Pick<CaConfig, 'temporal'>): { address: string } {
  return { address: config.temporal.address };
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
