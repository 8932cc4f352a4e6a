/**
 * The Temporal server configuration of the production topology, written once for the stack (its paths under
 * data-stack/) and for docker-compose.yml (container paths; deploy/temporal-server.example.yaml): one process with
 * the four services, PostgreSQL persistence and visibility, mTLS on the frontend and between the services, history
 * archival on the filestore (CP 5.5.1–5.5.2: records kept 7 years, beyond the namespace retention).
 */
import { caDynamicConfig } from '../temporal';
import { TEMPORAL_ROLE } from './database';
import type { YamlValue } from '../yaml';
import { frontendServerName, internodeServerName } from './layout';

/** Where a Temporal server's files and peers are: the stack's paths, or the containers' (docker-compose.yml). */
export interface TemporalServerSite {
  readonly opsCaFile: string;
  readonly frontend: { readonly certFile: string; readonly keyFile: string };
  readonly internode: { readonly certFile: string; readonly keyFile: string };
  readonly systemWorker: { readonly certFile: string; readonly keyFile: string };
  /** host:port of PostgreSQL, and the temporal role's password. */
  readonly postgres: string;
  readonly dbPassword: string;
  /** The address the services advertise to each other, and where each binds. */
  readonly broadcastAddress: string;
  readonly frontendBind: string;
  readonly internalBind: string;
  readonly ports: { readonly frontend: number; readonly history: number; readonly matching: number; readonly worker: number };
  readonly membershipPorts: { readonly frontend: number; readonly history: number; readonly matching: number; readonly worker: number };
  readonly metricsListen: string;
  readonly archiveUri: string;
  readonly dynamicConfigFile: string;
}

/**
 * The server configuration (one process, four services) of the topology: PostgreSQL persistence and visibility,
 * mTLS on the frontend and internode, history archival on the filestore. JSON, which the server's YAML loader reads.
 */
export function temporalServerConfig(site: TemporalServerSite): { [k: string]: YamlValue } {
  const clientOf = (serverName: string) => ({ serverName, rootCaFiles: [site.opsCaFile] });
  const serverOf = (pair: { certFile: string; keyFile: string }) => ({ ...pair, requireClientAuth: true, clientCaFiles: [site.opsCaFile] });
  const sqlStore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: site.postgres,
      connectProtocol: 'tcp',
      user: TEMPORAL_ROLE,
      password: site.dbPassword,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (service: keyof TemporalServerSite['ports'], bindOnIP: string) => ({
    rpc: { grpcPort: site.ports[service], membershipPort: site.membershipPorts[service], bindOnIP },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      // Fixed for the life of a cluster: more shards spread history load over more hosts (docs/DEPLOYMENT.md).
      numHistoryShards: 4,
      datastores: { default: sqlStore('temporal', 20), visibility: sqlStore('temporal_visibility', 10) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: site.broadcastAddress },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: site.metricsListen } },
      tls: {
        internode: { server: serverOf(site.internode), client: clientOf(internodeServerName) },
        frontend: { server: serverOf(site.frontend), client: clientOf(frontendServerName) },
        systemWorker: { ...site.systemWorker, client: clientOf(frontendServerName) },
      },
    },
    services: {
      // The frontend is where clients come in (in the stack also over each perspective's link); the rest is internal.
      frontend: rpc('frontend', site.frontendBind),
      history: rpc('history', site.internalBind),
      matching: rpc('matching', site.internalBind),
      worker: rpc('worker', site.internalBind),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${site.broadcastAddress}:${site.ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: {
      history: { state: 'enabled', enableRead: true, provider: { filestore: { fileMode: '0600', dirMode: '0700' } } },
      visibility: { state: 'disabled', enableRead: false },
    },
    namespaceDefaults: { archival: { history: { state: 'enabled', URI: site.archiveUri }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: site.dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Dynamic configuration of the topology's server. */
export const temporalDynamicConfig = {
  'limit.maxIDLength': [{ value: 255, constraints: {} }],
  // Archive a closed workflow's history within seconds (the default waits 5 minutes); the topology test reads it.
  'history.archivalProcessorArchiveDelay': [{ value: '5s', constraints: {} }],
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
  ...Object.fromEntries(Object.entries(caDynamicConfig).map(([key, value]) => [key, [{ value, constraints: {} }]])),
};
