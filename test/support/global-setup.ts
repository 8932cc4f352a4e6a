/**
 * Vitest global setup of the integration project: brings the real services up under <repo>/.data-test on test
 * ports (so `npm test` never disturbs a running `npm start`), exactly as `npm start` does, and exports their
 * coordinates through process.env, which the test workers inherit.
 */
import path from 'node:path';
import { loadConfig, repoRoot } from '../../config';
import { bringUpServices, type Services } from '../../scripts/lib/services';

export const testEnv: Record<string, string> = {
  CA_ENV: 'development',
  CA_DATA_DIR: path.join(repoRoot, '.data-test'),
  CA_PG_PORT: '15433',
  TEMPORAL_ADDRESS: '127.0.0.1:17233',
  CA_TASK_QUEUE: 'ca-main-test',
  CA_SIGNING_TASK_QUEUE: 'ca-signing-test',
  CA_API_PORT: '18080',
  CA_API_TLS_PORT: '18090',
  CA_DNS_RESOLVER: '127.0.0.1:18053',
  CA_DEV_DNS_PORT: '18053',
  CA_DEV_DNS_ADMIN_PORT: '18055',
  CA_DCV_CHECK_WINDOW_SECONDS: '20',
};

let services: Services | undefined;

export async function setup(): Promise<void> {
  for (const [k, v] of Object.entries(testEnv)) process.env[k] ??= v;
  const config = loadConfig();
  const log = (line: string) => process.stderr.write(`[services] ${line}\n`);
  // The dev DNS server is not started here: DNS tests start their own, with the records they need.
  services = await bringUpServices(config, { log, persistTemporal: false, temporalUi: false, devDns: false });
  process.env.DATABASE_URL = services.databaseUrl;
  process.env.DATABASE_OWNER_URL = services.databaseOwnerUrl;
  process.env.HSM_PIN = services.hsmPin;
  process.env.SOFTHSM2_CONF = config.hsm.softhsmConf;
}

export async function teardown(): Promise<void> {
  await services?.stop();
}
