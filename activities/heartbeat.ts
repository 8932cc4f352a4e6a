import { Context } from '@temporalio/activity';

/**
 * Runs a long activity body while heartbeating every few seconds, so that the workflow's heartbeatTimeout notices a
 * dead worker in seconds instead of waiting for the whole startToCloseTimeout (e.g. a worker killed while zlint and
 * pkilint run). Outside an activity (unit tests), or in a local one, it just runs the body.
 */
export async function withHeartbeat<T>(body: () => Promise<T>, everyMs = 3_000): Promise<T> {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    return body();
  }
  // A local activity has no heartbeat (workflows/activity-options.ts asLocal): it just runs the body.
  if (ctx.info.isLocal) return body();
  ctx.heartbeat();
  const timer = setInterval(() => ctx!.heartbeat(), everyMs);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}
