/**
 * Temporal's time-skipping test server for workflows whose timers span hours and days (an incident's 5-day deadline,
 * a changeover's reminders and the old key's last certificate): the Java `io.temporal.testserver.TestServer` from
 * Maven Central (scripts/install-tools.sh puts its classpath in /opt/temporal-test-server/lib; CA_TEMPORAL_TEST_SERVER_LIB
 * overrides). The TypeScript SDK's TestWorkflowEnvironment is not a dependency here (it downloads its server from a
 * website); its two primitives are the test service's calls, used directly:
 * - `skip(seconds)`: server time jumps ahead as far as timers allow (UnlockTimeSkippingWithSleep);
 * - `whileSkipping(p)`: time skips whenever every workflow waits on a timer, until `p` settles.
 * Time is otherwise locked: it passes as on a wall clock. Activities run on real services at real time.
 * Limits of this server: no Schedules (their creation is tested on the dev server), search attributes only once
 * registered (done here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { InternalConnectionOptionsSymbol } from '@temporalio/client/lib/connection';
import { NativeConnection } from '@temporalio/worker';
import { freePort } from '../../scripts/lib/ct-logs';
import { caSearchAttributes, indexedValueType } from '../../scripts/lib/temporal';
import { installRuntimeLogging } from '../../worker/runtime';

export interface TimeSkippingServer {
  readonly address: string;
  readonly client: Client;
  readonly nativeConnection: NativeConnection;
  /** Server time advances by `seconds` (firing the timers due meanwhile), then time is locked again. */
  skip(seconds: number): Promise<void>;
  /** Time skips whenever every workflow only waits on timers, until `p` settles. */
  whileSkipping<T>(p: Promise<T>): Promise<T>;
  /** The server's clock (ahead of the wall clock by what was skipped). */
  now(): Promise<Date>;
  stop(): Promise<void>;
}

export async function startTimeSkippingServer(): Promise<TimeSkippingServer> {
  installRuntimeLogging((process.env.CA_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN');
  const lib = process.env.CA_TEMPORAL_TEST_SERVER_LIB ?? '/opt/temporal-test-server/lib';
  if (!existsSync(lib)) throw new Error(`the Temporal time-skipping test server is not installed at ${lib}: run scripts/install-tools.sh`);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const proc: ChildProcess = spawn('java', ['-cp', `${lib}/*`, 'io.temporal.testserver.TestServer', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  let connection: Connection | undefined;
  for (let i = 0; i < 120 && !connection; i++) {
    if (proc.exitCode !== null) throw new Error(`the test server exited (${proc.exitCode}): ${stderr}`);
    try {
      connection = await Connection.connect({ address, connectTimeout: 1000, [InternalConnectionOptionsSymbol]: { supportsTestService: true } } as Parameters<typeof Connection.connect>[0]);
      await connection.workflowService.getSystemInfo({});
    } catch {
      await connection?.close().catch(() => undefined);
      connection = undefined;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  if (!connection) {
    proc.kill();
    throw new Error(`the test server did not answer on ${address}: ${stderr}`);
  }
  const testService = connection.testService!;
  // Registered outright: this server implements AddSearchAttributes but not ListSearchAttributes.
  await connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(Object.entries(caSearchAttributes).map(([name, type]) => [name, indexedValueType[type]])),
  });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    address,
    client,
    nativeConnection,
    async skip(seconds) {
      // protobufjs takes a plain number for the int64 seconds (its type says Long).
      const duration = { seconds: Math.floor(seconds), nanos: Math.round((seconds % 1) * 1e9) };
      await testService.unlockTimeSkippingWithSleep({ duration } as unknown as Parameters<typeof testService.unlockTimeSkippingWithSleep>[0]);
    },
    async whileSkipping(p) {
      await testService.unlockTimeSkipping({});
      try {
        return await p;
      } finally {
        await testService.lockTimeSkipping({});
      }
    },
    async now() {
      const r = await testService.getCurrentTime({});
      return new Date(Number(r.time?.seconds ?? 0) * 1000 + Math.floor((r.time?.nanos ?? 0) / 1e6));
    },
    async stop() {
      await nativeConnection.close().catch(() => undefined);
      await connection!.close().catch(() => undefined);
      proc.kill();
      await new Promise((r) => (proc.exitCode !== null ? r(undefined) : proc.once('exit', r)));
    },
  };
}
