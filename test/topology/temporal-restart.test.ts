/**
 * The Temporal server dies mid-order (SIGKILL, after the serial was reserved — issuance step 5 — and before the final
 * certificate) and the supervisor restarts it: every worker reconnects over mTLS, the order's workflow resumes from
 * its history on PostgreSQL, and the order completes with exactly one certificate (the activities are idempotent by
 * order id and serial; nothing is signed twice).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answers } from '../../scripts/lib/temporal';
import { makeCsr } from '../support/csr';
import { eventually } from '../support/ca-harness';
import { createOrder, dns01, sayReady, waitForOrder } from '../support/orders';
import { useStack } from './stack-client';

const t = useStack();



const serverPid = () => Number(readFileSync(path.join(t.c.state.runDir, 'temporal-server.pid'), 'utf8').split('\n')[0]);

describe('a Temporal server crash mid-order', () => {
  it('is survived: the server is restarted, the order completes, exactly one certificate exists', async () => {
    const order = await createOrder(t.c, t.apiKey, makeCsr({ names: [t.c.name()] }));
    const ch = dns01(order.authorizations[0]!);
    await t.c.dns('POST', '/records', { name: ch.recordName, type: 'TXT', value: ch.recordValue, ttl: 0 });
    await sayReady(t.c, t.apiKey, order.id, ch.id);

    // Mid-order: the certificate row exists (serial reserved, or the precertificate signed) but is not issued yet.
    const atKill = await eventually(async () => {
      const [row] = await t.c.db.sql`select status from certificates where order_id = ${order.id}`;
      return row ? (row.status as string) : null;
    }, 120_000, 25);
    const killed = serverPid();
    process.kill(killed, 'SIGKILL');
    expect(['reserved', 'precertificate'], `the kill came too late (certificate ${atKill})`).toContain(atKill);

    const restarted = await eventually(async () => {
      const pid = serverPid();
      return pid !== killed && (await answers(t.c.adminConnection, 2_000)) ? pid : null;
    }, 120_000, 500);
    expect(restarted).not.toBe(killed);

    const done = await waitForOrder(t.c, t.apiKey, order.id, { timeoutMs: 300_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    const rows = await t.c.db.sql`select serial, status from certificates where order_id = ${order.id}`;
    expect(rows).toEqual([{ serial: done.certificate!.serial, status: 'issued' }]);
    // One precertificate and one certificate signed for it (the HSM signatures are audited once each).
    const signed = await t.c.db.sql`select event, count(*)::int as n from audit_log where serial = ${done.certificate!.serial}
      and event in ('certificate.precertificate_signed', 'certificate.issued') group by event order by event`;
    expect(signed).toEqual([{ event: 'certificate.issued', n: 1 }, { event: 'certificate.precertificate_signed', n: 1 }]);
  });
});
