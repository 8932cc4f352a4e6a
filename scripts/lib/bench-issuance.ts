/**
 * What the issuance benchmarks share: a batch of CSRs made by OpenSSL as an applicant would (one applicant key for
 * all: key generation is the applicant's cost, not the CA's), and one DV order driven through the HTTP API, the
 * development DNS server and the workflow's result.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Harness } from '../../test/support/ca-harness';
import { orderWorkflowId } from '../../workflows/contracts';
import { currentDocumentVersions } from '../../domain/repository-documents';
import type { DevRecordInput } from './dev-dns';

/** `count` DER CSRs for `c<i>.<run>.<zone>`, all with one RSA-2048 key. */
export function makeBenchCsrs(count: number, run: string, zone: string): Buffer[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-csr-'));
  try {
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['genrsa', '-out', key, '2048'], { stdio: 'ignore' });
    return Array.from({ length: count }, (_, i) => {
      const name = `c${i}.${run}.${zone}`;
      const out = path.join(dir, `${i}.der`);
      execFileSync('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-outform', 'DER', '-out', out], { stdio: 'ignore' });
      return readFileSync(out);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where an order is placed and its TXT record published: the harness's in-process API and DNS, or processes of their own. */
export interface BenchDoor {
  api: Harness['api'];
  readonly dns: { add(rr: DevRecordInput): unknown };
}

/**
 * One order from POST to the workflow's result: publish the TXT record, say ready, wait. `ms` is from the POST,
 * `readyMs` from the moment the applicant says "ready" (what the CA does on its own).
 */
export async function issueThroughApi(h: BenchDoor, client: Client, apiKey: string, csrDer: Buffer): Promise<{ ok: boolean; ms: number; readyMs: number; orderId: string }> {
  const start = performance.now();
  // CP 4.1.2: the application accepts the terms, CP and CPS in force (query parameters with application/pkcs10).
  const v = currentDocumentVersions(new Date());
  const accept = new URLSearchParams({ acceptTerms: v.terms ?? '', acceptCp: v.cp ?? '', acceptCps: v.cps ?? '' });
  const res = await h.api(`/v1/orders?profile=dv&${accept}`, { method: 'POST', apiKey, headers: { 'content-type': 'application/pkcs10' }, body: csrDer });
  const order = (await res.json()) as { id: string; authorizations: Array<{ challenges: Array<{ id: string; recordName: string; recordValue: string }> }> };
  const ch = order.authorizations[0]!.challenges[0]!;
  await h.dns.add({ name: ch.recordName, type: 'TXT', value: ch.recordValue });
  const ready = performance.now();
  await h.api(`/v1/orders/${order.id}/challenges/${ch.id}/ready`, { method: 'POST', apiKey });
  const result = (await client.workflow.getHandle(orderWorkflowId(order.id)).result()) as { status: string };
  const end = performance.now();
  return { ok: result.status === 'valid', ms: end - start, readyMs: end - ready, orderId: order.id };
}
