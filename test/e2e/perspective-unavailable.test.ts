/**
 * A remote perspective that does not answer (BR 3.2.2.9): its worker is gone — stopped, or not yet back after a
 * restart of the CA — so its activities time out (ScheduleToClose). The round must still finish: the unavailability
 * is stored as that perspective's evidence (raw answers: a marker, never SQL NULL — the column is NOT NULL) and the
 * quorum decides. Before, the evidence insert failed on the NOT NULL column and the storing activity was retried
 * forever: the order stayed `pending` for good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../support/csr';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { answerDns01, createOrder, waitForOrder } from '../support/orders';

let h: Harness;
let apiKey: string;

beforeAll(async () => {
  h = await startHarness();
  ({ apiKey } = await h.newAccount('Unavailable Perspective Applicant'));
});
afterAll(async () => {
  await h?.stop();
});

describe('a remote perspective whose worker is gone', () => {
  it('counts as non-corroborating with its unavailability as evidence; the quorum of the others issues', async () => {
    // The harness runs main, signing, then one worker per configured perspective, in configuration order.
    const perspectives = h.config.mpic.perspectives.map((p) => p.id);
    const gone = perspectives[perspectives.length - 1]!;
    await h.workers[2 + perspectives.length - 1]!.stop();

    const fqdn = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const order = await createOrder(h, apiKey, makeCsr({ names: [fqdn] }));
    await answerDns01(h, apiKey, order);
    // The perspective's activities time out after 45 s (ScheduleToClose); the round is stored right after.
    const done = await waitForOrder(h, apiKey, order.id, { timeoutMs: 150_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('valid');

    const rounds = await h.db.sql`select "check", result, quorum from corroborations where order_id = ${order.id} order by "check"`;
    expect(rounds.map((r) => [r.check, r.result])).toEqual([['caa', 'pass'], ['dcv', 'pass']]);
    for (const r of rounds) expect(r.quorum).toMatchObject({ corroborating: 4, nonCorroborating: 1 });

    const evidence = await h.db.sql`select "check", result, detail, raw_answers from validation_evidence
      where corroboration_id is not null and fqdn = ${fqdn} and perspective = ${gone} order by "check"`;
    expect(evidence.map((e) => e.check)).toEqual(['caa', 'dcv']);
    for (const e of evidence) {
      expect(e.result).toBe('failure');
      expect(e.detail).toMatch(/^error: perspective unavailable/);
      expect(e.raw_answers).toMatchObject({ unavailable: expect.stringMatching(/timeout/i) });
    }
  }, 200_000);
});
