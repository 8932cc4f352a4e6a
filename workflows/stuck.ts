/**
 * An order that cannot move on shows as stuck, never as quietly `pending` or `processing` (docs/RELIABILITY.md):
 * the CaStatus search attribute becomes `stuck` (Temporal Web UI filter `CaStatus = "stuck"`) and the `progress` query
 * says since when, at which step, and why.
 *
 * Two ways to get there. Bookkeeping in PostgreSQL and signatures in the HSM are retried without a bound on purpose
 * (an outage of either delays an order, it must not fail one whose applicant did everything right), so an order
 * can wait on them indefinitely: the watch below flags it after `stuckAfterSeconds` without a step while the CA is
 * what it waits for, and the next step clears the flag. And when even the failure of an order cannot be recorded,
 * the workflow flags it before it fails.
 */
import { condition, log, upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes, type IssuanceStep, type StuckOrder } from './contracts';

/** The steps at which the order waits for the CA, not for the applicant (whose waits end by their own timers). */
const caSideSteps: ReadonlySet<IssuanceStep> = new Set<IssuanceStep>([
  'corroborating',
  'reserving-serial',
  'linting',
  'signing-precertificate',
  'submitting-to-ct',
  'rechecking-caa',
  'signing-certificate',
  'notifying',
  'failed',
]);

export const defaultStuckAfterSeconds = 900;

/** The workflow's stuck flag: the CaStatus value it hides while set, restored when the order moves again. */
export class StuckFlag {
  private current: StuckOrder | null = null;
  private status = 'pending';
  private moves = 0;

  get value(): StuckOrder | null {
    return this.current;
  }

  /** The order took a step (with a new CaStatus, or keeping its own): any stuck flag is cleared. */
  moved(status?: string): void {
    this.moves++;
    if (status) this.status = status;
    if (this.current) {
      this.current = null;
      upsertSearchAttributes([{ key: searchAttributes.status, value: this.status }]);
    } else if (status) {
      upsertSearchAttributes([{ key: searchAttributes.status, value: status }]);
    }
  }

  /** The caller wrote CaStatus itself (in one update with other attributes): a stuck flag is gone, this is restored. */
  statusWritten(status: string): void {
    this.moves++;
    this.status = status;
    this.current = null;
  }

  raise(step: IssuanceStep, reason: string): void {
    this.current = { since: new Date().toISOString(), step, reason };
    upsertSearchAttributes([{ key: searchAttributes.status, value: 'stuck' }]);
    log.warn('order stuck', { step, reason });
  }

  /**
   * Flags the order when it takes no step for `afterSeconds` while at a CA-side step; runs for the workflow's life.
   * Each armed wait is one durable timer (cancelled when the order moves on).
   */
  watch(step: () => IssuanceStep, afterSeconds: number): void {
    const caSide = () => caSideSteps.has(step());
    void (async () => {
      for (;;) {
        await condition(caSide);
        const seen = this.moves;
        const movedOn = () => this.moves !== seen || !caSide();
        if (await condition(movedOn, `${afterSeconds} seconds`)) continue;
        this.raise(step(), `no step for ${afterSeconds} s while waiting for the CA at "${step()}" (PostgreSQL, the HSM or a worker)`);
        await condition(movedOn);
      }
    })();
  }
}
