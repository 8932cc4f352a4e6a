/**
 * Metrics in the production topology: Debian's Prometheus scrapes the stack, and after an issuance the metric moved
 * is read back from Prometheus's HTTP API (not from the exporter): the Temporal server's count of completed
 * issueCertificate workflows in the CA's namespace.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/ca-harness';
import { applyDv, useStack } from './stack-client';

const t = useStack();



/** The value of an instant PromQL query (one series summed), 0 when it has no series yet. */
async function promValue(query: string): Promise<number> {
  const res = await fetch(`${t.c.state.prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
  expect(body.status).toBe('success');
  return body.data.result.reduce((sum, r) => sum + Number(r.value[1]), 0);
}

describe('Prometheus', () => {
  it('scrapes the Temporal server: completed issueCertificate workflows, read back after an issuance', async () => {
    const series = `workflow_success{namespace="${t.c.state.namespace}",workflowType="issueCertificate"}`;
    const targets = (await (await fetch(`${t.c.state.prometheusUrl}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ labels: { job: string }; health: string }> } };
    expect(targets.data.activeTargets.find((t) => t.labels.job === 'temporal')).toMatchObject({ health: 'up' });
    const order = await applyDv(t.c, await t.c.newAccount(), [t.c.name()]);
    expect(order.status, JSON.stringify(order.error)).toBe('valid');
    const completedAt = Date.now() / 1000;
    // A sample scraped after the order completed counts it (a restarted server's counter starts again from 0, so
    // "at least this one" rather than "one more than before").
    const value = await eventually(async () => {
      const scrapedAt = await promValue(`max(timestamp(${series}))`);
      return scrapedAt > completedAt ? promValue(`sum(${series})`) : null;
    }, 60_000, 1_000);
    expect(value).toBeGreaterThanOrEqual(1);
  });
});
