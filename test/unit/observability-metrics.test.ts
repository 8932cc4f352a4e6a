/**
 * The metrics (observability/metrics.ts) as Prometheus reads them — checked by Prometheus's own `promtool`
 * (Debian's prometheus package): the exposition passes `promtool check metrics`, and the scrape configuration the
 * generator writes passes `promtool check config`. And the issuance step each activity is observed under.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  collectProcessMetrics,
  ctSubmissionErrors,
  ctSubmissionSeconds,
  hsmSignSeconds,
  issuanceStepSeconds,
  metricsExposition,
  observeDuration,
  ocspRequests,
  ordersTotal,
} from '../../observability/metrics';
import { prometheusScrapeConfig, scrapeConfigDocument, type ScrapeTarget } from '../../observability/scrape-config';
import { issuanceStepOf } from '../../worker/activity-observability';

const promtool = (args: string[], input?: string) => spawnSync('promtool', args, { input, encoding: 'utf8' });

describe('the exposition', () => {
  it('names every CA metric ca_* and passes promtool check metrics', async () => {
    collectProcessMetrics();
    ordersTotal.inc({ outcome: 'valid', kind: '' });
    await observeDuration(issuanceStepSeconds, { step: '5-reserve', activity: 'reserveCertificate' }, async () => {});
    await observeDuration(hsmSignSeconds, { key: 'dv' }, async () => {});
    await expect(observeDuration(hsmSignSeconds, { key: 'dv' }, () => Promise.reject(new Error('CKR_DEVICE_ERROR')))).rejects.toThrow();
    ctSubmissionSeconds.observe({ log: 'local-a1', outcome: 'ok' }, 0.2);
    ctSubmissionErrors.inc({ log: 'local-b', reason: 'unavailable' });
    ocspRequests.inc({ method: 'GET', status: 'successful' });
    const { body, contentType } = await metricsExposition();
    expect(contentType).toMatch(/^text\/plain/);
    const names = [...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    expect(names.filter((n) => !n.startsWith('ca_'))).toEqual([]);
    expect(body).toContain('ca_hsm_sign_duration_seconds_count{key="dv",outcome="ok"} 1');
    expect(body).toContain('ca_hsm_sign_duration_seconds_count{key="dv",outcome="error"} 1');
    // promtool's lint objects to three gauges of prom-client's own process metrics (`*_active_*_total`), named by
    // prom-client; every metric of the CA passes.
    const check = promtool(['check', 'metrics'], body);
    const complaints = (check.stdout + check.stderr).split('\n').filter((l) => l && !/^ca_nodejs_active_(handles|requests|resources)_total /.test(l));
    expect(complaints).toEqual([]);
  });
});

describe('the scrape configuration', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scrape-'));
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, '');
  const targets: ScrapeTarget[] = [
    { job: 'api', address: '127.0.0.1:8080' },
    { job: 'acme', address: '127.0.0.1:8443', scheme: 'https', caFile, serverName: 'localhost' },
    { job: 'worker-main', address: '127.0.0.1:9101' },
    { job: 'temporal-sdk', address: '127.0.0.1:9201', labels: { process: 'worker-main' } },
    { job: 'temporal-sdk', address: '127.0.0.1:9202', labels: { process: 'worker-signing' } },
    { job: 'perspective', address: '10.200.1.2:9103', labels: { perspective: 'tokyo' } },
  ];

  it('passes promtool check config', () => {
    const file = path.join(dir, 'prometheus.yml');
    writeFileSync(file, prometheusScrapeConfig(targets, { scrapeIntervalSeconds: 5 }));
    const check = promtool(['check', 'config', file]);
    expect(check.stdout + check.stderr).toContain('SUCCESS');
    expect(check.status).toBe(0);
  });

  it('has one job per kind of process, labelled with its service, TLS settings for https targets', () => {
    const doc = scrapeConfigDocument(targets);
    expect(doc.scrape_configs.map((j) => [j.job_name, j.static_configs.length])).toEqual([
      ['api', 1], ['acme', 1], ['worker-main', 1], ['temporal-sdk', 2], ['perspective', 1],
    ]);
    expect(doc.scrape_configs[1]).toMatchObject({ scheme: 'https', tls_config: { ca_file: caFile, server_name: 'localhost' } });
    expect(doc.scrape_configs[3]!.static_configs[1]).toEqual({ targets: ['127.0.0.1:9202'], labels: { service: 'temporal-sdk', process: 'worker-signing' } });
  });

  it('refuses what Prometheus would not read', () => {
    expect(() => scrapeConfigDocument([{ job: 'api', address: 'http://127.0.0.1:8080' }])).toThrow(/not host:port/);
    expect(() => scrapeConfigDocument([{ job: 'a b', address: '127.0.0.1:1' }])).toThrow(/not a valid name/);
    expect(() => scrapeConfigDocument([{ job: 'x', address: '127.0.0.1:1' }, { job: 'x', address: '127.0.0.1:2', scheme: 'https' }])).toThrow(/same scheme/);
  });
});

describe('the issuance step of an activity (ca_issuance_step_duration_seconds)', () => {
  it.each([
    ['checkDnsChange', '2-authorize'],
    ['perspectiveCheckCaa', '3/9-corroborate'],
    ['reserveCertificate', '5-reserve'],
    ['lintToBeSigned', '6/10-lint'],
    ['signPrecertificate', '7-precertificate'],
    ['submitToCtLog', '8-ct'],
    ['signFinalCertificate', '10-certificate'],
    ['completeOrder', '11-complete'],
    ['revokePresumedCertificate', '11-compensate'],
    ['someNewActivity', 'other'],
  ])('%s in issueCertificate: %s', (activity, step) => {
    expect(issuanceStepOf('issueCertificate', activity)).toBe(step);
  });

  it('is none for the activities of other workflows (revocation, CRLs, OCSP refresh)', () => {
    expect(issuanceStepOf('publishCrl', 'signCrl')).toBeNull();
  });
});
