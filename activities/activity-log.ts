import { log } from '@temporalio/activity';

/**
 * The activity logger (its entries carry the workflow and activity ids), or nothing when the function runs outside an
 * activity — tests, benchmarks and CLIs call some activity bodies directly.
 */
export function activityLog(level: 'info' | 'warn' | 'error', message: string, meta: Record<string, unknown> = {}): void {
  try {
    log[level](message, meta);
  } catch {
    /* no activity context */
  }
}
