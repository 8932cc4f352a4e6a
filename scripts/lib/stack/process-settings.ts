/**
 * What each CA process is configured with (config/index.ts variables only, secrets as file paths only), written once
 * for both places the topology runs: `npm run stack` (files under data-stack/) and docker-compose.yml (secrets under
 * /run/secrets). A `Placement` says where things are; `settingsOf` says which process gets what.
 */
import { frontendServerName, stackNamespace, stackPerspectives, type CaProcess } from './layout';

/** The secret files a process may hold (each only its own): see caProcesses for who holds which. */
export type SecretName = 'temporal.pem' | 'temporal-key.pem' | 'db-password' | 'hsm-user-pin' | 'acme-tls-key.pem' | 'acme-tls-cert.pem';

export interface Placement {
  /** Settings every process gets (environment, data directory, public URLs, ports…). */
  readonly common: Readonly<Record<string, string>>;
  /** host:port of the Temporal frontend as this process reaches it (a perspective: over its own link). */
  temporalAddress(p: CaProcess): string;
  /** host:port of the resolver of a remote perspective, as that perspective reaches it. */
  perspectiveResolver(id: string): string;
  readonly opsCaFile: string;
  /** The path of one of this process's secret files. */
  secret(p: CaProcess, name: SecretName): string;
  dbUrl(dbRole: string): string;
  /** What a role adds (the signing worker's HSM, the worker's linters, the ACME listener's public URL…). */
  extra(p: CaProcess): Readonly<Record<string, string>>;
}

/** The remote perspectives (BR 3.2.2.9) as every process sees them (CA_PERSPECTIVES): id, RIR region, resolver. */
export const perspectivesSetting = (at: Pick<Placement, 'perspectiveResolver'>): string =>
  stackPerspectives.map((p) => `${p.id}:${p.region}@${at.perspectiveResolver(p.id)}`).join(',');

export function settingsOf(p: CaProcess, at: Placement): Record<string, string> {
  const env: Record<string, string> = {
    ...at.common,
    CA_PERSPECTIVES: perspectivesSetting(at),
    TEMPORAL_NAMESPACE: stackNamespace,
    TEMPORAL_ADDRESS: at.temporalAddress(p),
  };
  if (p.temporalClient) {
    Object.assign(env, {
      TEMPORAL_TLS_CA: at.opsCaFile,
      TEMPORAL_TLS_CERT: at.secret(p, 'temporal.pem'),
      TEMPORAL_TLS_KEY: at.secret(p, 'temporal-key.pem'),
      TEMPORAL_TLS_SERVER_NAME: frontendServerName,
    });
  }
  if (p.dbRole) Object.assign(env, { DATABASE_URL: at.dbUrl(p.dbRole), DATABASE_PASSWORD_FILE: at.secret(p, 'db-password') });
  if (p.perspective) env.CA_PERSPECTIVE_ID = p.perspective.id;
  if (p.name === 'signing') env.HSM_PIN_FILE = at.secret(p, 'hsm-user-pin');
  if (p.name === 'acme') Object.assign(env, { CA_ACME_TLS_KEY: at.secret(p, 'acme-tls-key.pem'), CA_ACME_TLS_CERT: at.secret(p, 'acme-tls-cert.pem') });
  return { ...env, ...at.extra(p) };
}

/** The secrets a process holds, by the settings above. */
export function secretsOf(p: CaProcess): SecretName[] {
  return [
    ...(p.temporalClient ? (['temporal.pem', 'temporal-key.pem'] as const) : []),
    ...(p.dbRole ? (['db-password'] as const) : []),
    ...(p.name === 'signing' ? (['hsm-user-pin'] as const) : []),
    ...(p.name === 'acme' ? (['acme-tls-key.pem', 'acme-tls-cert.pem'] as const) : []),
  ];
}
