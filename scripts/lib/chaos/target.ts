/**
 * What the chaos harness and the soak test run against: a whole CA whose components can be killed and started
 * again, and whose outside world (CT logs, DNS, the applicants' web servers, the HSM) can be made to fail. The
 * development target (dev-target.ts) runs the CA's processes on this machine as `npm start` does; the production
 * topology (`npm run stack`) is another implementation of the same interface — kill = `docker compose kill -s KILL
 * <service>`, start = `docker compose start <service>` — and the harness does not change.
 */
import type { Client } from '@temporalio/client';
import type { CaConfig } from '../../../config';
import type { DbHandle } from '../../../db/client';
import type { DevDns } from '../dev-dns';
import type { CtFaultProxy } from './ct-proxy';
import type { Http01Server } from './http01';

/** The CA's components a fault can SIGKILL: its processes, and the two stateful services under them. */
export const components = ['worker', 'signing', 'perspectives', 'api', 'acme', 'temporal', 'postgres'] as const;
export type Component = (typeof components)[number];

/** PKCS#11 faults (scripts/lib/chaos/pkcs11-fault.c): every signature fails, or the token closes all sessions once. */
export type HsmFault = 'error' | 'close-sessions';

export interface ChaosTarget {
  readonly name: string;
  /** The CA's configuration as its clients and the invariants see it. */
  readonly config: CaConfig;
  readonly apiUrl: string;
  readonly acmeDirectoryUrl: string;
  /** The stand-in root (PEM file) the ACME server's TLS certificate chains to. */
  readonly acmeCaFile: string;
  /** The authoritative DNS server of the dev zone: records and SERVFAIL. */
  readonly dns: DevDns;
  /** The applicants' HTTP-01 server on port 80, when this run may bind it. */
  readonly http01: Http01Server | null;
  readonly ct: CtFaultProxy;
  /** Whether PKCS#11 faults can be injected (the fault module could be built). */
  readonly hsmFaults: boolean;
  setHsmFault(fault: HsmFault | null): void;
  /** SIGKILL; the component stays down until `start`. */
  kill(component: Component): Promise<void>;
  /** Starts the component again and waits until it serves. */
  start(component: Component): Promise<void>;
  /** The pid of each CA process, Temporal's and PostgreSQL's postmaster, while they run (for RSS sampling). */
  pids(): Record<string, number | null>;
  /** Exits of CA processes nobody caused, per process (the supervisor started them again). */
  unexpectedExits(): Record<string, number>;
  /** A pool to the CA's database (it reconnects after PostgreSQL restarts). */
  readonly db: DbHandle;
  /** A client of the CA's Temporal service. */
  readonly temporal: Client;
  /** Bytes on disk: the CA's PostgreSQL database and Temporal's persistence. */
  storageBytes(): Promise<{ postgres: number; temporal: number }>;
  stop(): Promise<void>;
}
