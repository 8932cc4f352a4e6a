/**
 * Temporal's time-skipping test server (the Java `io.temporal.testserver.TestServer` from Maven, installed into
 * /opt/temporal-test-server by scripts/install-tools.sh; TOOLCHAIN.md), for workflows whose durable timers span weeks
 * (the expiry reminders). Time is locked unless a test lets it run: `skip(duration)` advances the server's clock past
 * every timer due by then, `result(handle)` lets it run until the workflow completes — as @temporalio/testing's
 * time-skipping environment does, over the same TestService calls. No Schedules and no custom search attributes here:
 * only workflows that use neither run on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { InternalConnectionOptionsSymbol } from '@temporalio/client/lib/connection.js';
import { msNumberToTs, tsToDate } from '@temporalio/common/lib/time';
import { NativeConnection } from '@temporalio/worker';

export const testServerLib = '/opt/temporal-test-server/lib';

export interface TimeSkippingServer {
  readonly address: string;
  readonly client: Client;
  /** For Worker.create({ connection }). */
  readonly workerConnection: NativeConnection;
  /** Advances the server's clock by `seconds`, firing every timer due by then. */
  skip(seconds: number): Promise<void>;
  /** Lets time run until the workflow completes, then locks it again. */
  result<T>(handle: WorkflowHandle): Promise<T>;
  /** The server's current time. */
  now(): Promise<Date>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startTimeSkippingServer(): Promise<TimeSkippingServer> {
  if (!existsSync(testServerLib)) throw new Error(`no Temporal test server in ${testServerLib}: run scripts/install-tools.sh`);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const java: ChildProcess = spawn('java', ['-cp', `${testServerLib}/*`, 'io.temporal.testserver.TestServer', String(port)], { stdio: 'ignore' });
  // Never outlive the test process, even when a test times out before stop().
  const killJava = () => java.kill('SIGKILL');
  process.once('exit', killJava);
  let connection: Connection | undefined;
  for (let i = 0; i < 120 && !connection; i++) {
    try {
      connection = await Connection.connect({ address, connectTimeout: 1000, [InternalConnectionOptionsSymbol]: { supportsTestService: true } } as never);
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  if (!connection?.testService) {
    java.kill('SIGKILL');
    throw new Error(`the Temporal test server did not answer on ${address}`);
  }
  const testService = connection.testService;
  const workerConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    address,
    client,
    workerConnection,
    async skip(seconds) {
      await testService.unlockTimeSkippingWithSleep({ duration: msNumberToTs(seconds * 1000) });
    },
    async result<T>(handle: WorkflowHandle) {
      await testService.unlockTimeSkipping({});
      try {
        return (await handle.result()) as T;
      } finally {
        await testService.lockTimeSkipping({});
      }
    },
    async now() {
      return tsToDate((await testService.getCurrentTime({})).time!);
    },
    async stop() {
      await workerConnection.close();
      await connection.close();
      process.off('exit', killJava);
      const exited = new Promise<void>((resolve) => (java.exitCode !== null || java.signalCode !== null ? resolve() : java.once('exit', () => resolve())));
      java.kill('SIGTERM');
      const timer = setTimeout(killJava, 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
