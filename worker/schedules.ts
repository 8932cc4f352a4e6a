/**
 * Temporal Schedules the main worker owns (CRL, OCSP refresh, audit checkpoints) are created at start and updated in
 * place when the configuration changed: idempotent, so every start of every main worker may call it.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleHandle, type ScheduleOptions } from '@temporalio/client';

export async function upsertSchedule(client: Client, options: ScheduleOptions): Promise<ScheduleHandle> {
  try {
    return await client.schedule.create(options);
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
    const handle = client.schedule.getHandle(options.scheduleId);
    await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action }));
    return handle;
  }
}
