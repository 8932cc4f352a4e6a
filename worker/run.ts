import type { Worker } from '@temporalio/worker';

/** Run a worker until SIGINT/SIGTERM (the SDK shuts down gracefully on them), then release its resources. */
export async function runUntilSignal(worker: Worker, close: () => Promise<void>): Promise<void> {
  try {
    await worker.run();
  } finally {
    await close();
  }
}
