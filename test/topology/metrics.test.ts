/**
 * Metrics in the production topology: Debian's Prometheus scrapes every CA process's /metrics (the API and OCSP on
 * their doors, ACME and the workers on their own listeners — a perspective's inside its namespace, over its link),
 * each worker's Temporal SDK exporter and the Temporal server. After an issuance the metrics that moved are read back
 * from Prometheus's HTTP API (not from the exporters): the CA's `ca_orders_total` (main worker) and the Temporal
 * server's count of completed issueCertificate workflows in the CA's namespace.
 */
import { describe, expect, it } from 'vitest';
import { caProcesses } from '../../scripts/lib/stack/layout';
import { isWorker, metricsJobOf } from '../../scripts/lib/stack/process-settings';
import { eventually } from '../support/ca-harness';
import { applyDv, useStack } from './stack-client';

const t = useStack();

/** The value of an instant PromQL query (every series summed), 0 when it has no series yet. */
async function promValue(query: string): Promise<number> {
  const res = await fetch(`${t.c.state.prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
  expect(body.status).toBe('success');
  return body.data.result.reduce((sum, r) => sum + Number(r.value[1]), 0);
}

interface Target {
  labels: { job: string; perspective?: string; process?: string };
  health: string;
  lastError: string;
}

/** A sample of `series` scraped after `at` (seconds), summed; null until Prometheus has one. */
async function scrapedAfter(series: string, at: number): Promise<number | null> {
  const scrapedAt = await promValue(`max(timestamp(${series}))`);
  return scrapedAt > at ? promValue(`sum(${series})`) : null;
}

describe('Prometheus', () => {
  it('scrapes every CA process, each worker\'s Temporal SDK and the Temporal server: all targets up', async () => {
    const expected = [
      ...caProcesses.map((p) => metricsJobOf(p)),
      ...caProcesses.filter(isWorker).map(() => 'temporal-sdk'),
      'temporal',
    ].sort();
    const activeTargets = async () => ((await (await fetch(`${t.c.state.prometheusUrl}/api/v1/targets`)).json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
    // Wait for a first scrape of each (5 s interval), then say which target is not up, if any.
    await eventually(async () => {
      const all = await activeTargets();
      return all.length === expected.length && all.every((x) => x.health === 'up') ? true : null;
    }, 60_000, 1_000).catch(() => undefined);
    const targets = await activeTargets();
    expect(targets.map((x) => ({ job: x.labels.job, health: x.health, error: x.lastError })).filter((x) => x.health !== 'up')).toEqual([]);
    expect(targets.map((x) => x.labels.job).sort()).toEqual(expected);
    // Every perspective is scraped in its own namespace, labelled with its id.
    expect(targets.filter((x) => x.labels.job === 'perspective').map((x) => x.labels.perspective).sort()).toEqual(t.c.state.perspectives.map((p) => p.id).sort());
  });

  it('reads the CA\'s ca_orders_total and Temporal\'s completed issueCertificate workflows back after an issuance', async () => {
    const orders = 'ca_orders_total{outcome="valid"}';
    const workflows = `workflow_success{namespace="${t.c.state.namespace}",workflowType="issueCertificate"}`;
    const before = await promValue(`sum(${orders})`);
    const order = await applyDv(t.c, t.apiKey, [t.c.name()]);
    expect(order.status, JSON.stringify(order.error)).toBe('valid');
    const completedAt = Date.now() / 1000;
    // A sample scraped after the order completed counts it: one more valid order than before (the main worker's
    // counter), and at least this one completed workflow (a restarted server's counter starts again from 0).
    expect(await eventually(async () => scrapedAfter(orders, completedAt), 60_000, 1_000)).toBeGreaterThanOrEqual(before + 1);
    expect(await eventually(async () => scrapedAfter(workflows, completedAt), 60_000, 1_000)).toBeGreaterThanOrEqual(1);
  });
});
