/**
 * Crash test (issuance cycle, "nothing lost, never double-issued"): the main worker process is killed with SIGKILL
 * after the serial is reserved and before the order completes; a new worker process resumes the same workflow,
 * and the order ends with exactly one certificate — the one whose serial was reserved before the crash.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigningWorker } from '../../worker/signing';
import { makeCsr } from '../support/csr';
import { eventually, runWorker, startHarness, uniqueLabel, type Harness, type RunningWorker } from '../support/ca-harness';
import { answerDns01, createOrder } from '../support/orders';
import { spawnMainWorker as spawnWorkerProcess } from '../support/worker-process';

let h: Harness;
let apiKey: string;
const children: ChildProcess[] = [];
let signing: RunningWorker | undefined;

function spawnMainWorker(): ChildProcess {
  const child = spawnWorkerProcess();
  children.push(child);
  return child;
}

beforeAll(async () => {
  h = await startHarness({ workers: false });
  ({ apiKey } = await h.newAccount('Crash Test Applicant'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await signing?.stop();
  await h?.stop();
});

describe('a worker killed mid-issuance', () => {
  it('resumes after SIGKILL and issues exactly one certificate for the order', async () => {
    const first = spawnMainWorker();
    const fqdn = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const csr = makeCsr({ names: [fqdn] });
    const order = await createOrder(h, apiKey, csr);
    await answerDns01(h, apiKey, order);

    // Step 5 done: the serial is reserved. No signing worker runs yet, so the order cannot have completed.
    const reserved = await eventually(async () => {
      const rows = await h.db.sql`select serial, status from certificates where order_id = ${order.id}`;
      return rows.length > 0 ? rows[0]! : null;
    }, 90_000);
    expect(reserved.status).toBe('reserved');

    first.kill('SIGKILL');
    await new Promise<void>((resolve) => (first.exitCode !== null || first.signalCode !== null ? resolve() : first.once('exit', () => resolve())));
    expect(first.signalCode).toBe('SIGKILL');
    expect(() => process.kill(first.pid!, 0)).toThrow(); // the worker process is really gone

    spawnMainWorker();
    signing = await runWorker(await createSigningWorker(h.config));

    const status = await eventually(async () => {
      const [o] = await h.db.sql`select status from orders where id = ${order.id}`;
      return o!.status === 'valid' || o!.status === 'invalid' ? (o!.status as string) : null;
    }, 120_000);
    expect(status).toBe('valid');

    const rows = await h.db.sql`select serial, status, cert_der is not null as has_cert from certificates where order_id = ${order.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.serial).toBe(reserved.serial);
    expect(rows[0]!.status).toBe('issued');
    expect(rows[0]!.has_cert).toBe(true);
    const reservations = await h.db.sql`select count(*)::int as n from audit_log where order_id = ${order.id} and event = 'certificate.serial_reserved'`;
    expect(reservations[0]!.n).toBe(1);
    const certRes = await h.api(`/v1/orders/${order.id}/certificate`, { apiKey });
    expect(certRes.status).toBe(200);
    expect((await certRes.text()).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });
});
