/**
 * The chaos harness's ACME applicants (RFC 8555): a new account, newOrder for one name, the dns-01 TXT record
 * (§8.4) or the http-01 file (§8.3) on the harness's port-80 server, the challenge answered, the authorization
 * polled, finalize with the CSR, the order polled — every request retried when a door is down or a nonce went stale,
 * as certbot and lego do. Over HTTPS, trusting the stand-in root of the ACME server's certificate.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { AcmeTestClient, newAccountKey, type FetchLike } from '../../../test/support/acme-client';
import type { TestCsr } from '../../../test/support/csr';
import { awaitOutcome, GaveUp, ORDER_PATIENCE_MS, persist, type OrderRun } from './orders';
import type { ChaosTarget } from './target';

/** fetch over node:https with our own trust anchor (the stand-in root); a dropped connection rejects. */
function httpsFetch(caPem: string): FetchLike {
  const agent = new https.Agent({ ca: caPem, keepAlive: false });
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const req = https.request(url, { method: init.method ?? 'GET', headers: Object.fromEntries(new Headers(init.headers).entries()), agent, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 502;
          resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers }));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(typeof init.body === 'string' ? init.body : undefined);
    });
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** One ACME order to its end. */
export async function runAcmeOrder(target: ChaosTarget, run: OrderRun, csr: TestCsr): Promise<void> {
  const deadline = run.startedAt + ORDER_PATIENCE_MS;
  const client = new AcmeTestClient(httpsFetch(readFileSync(target.acmeCaFile, 'utf8')), target.acmeDirectoryUrl, await newAccountKey());
  /** A signed POST; null (retry) for a 5xx, a 429, a stale nonce or a dropped connection; GaveUp for other refusals. */
  const post = async <T>(what: string, url: string, payload: unknown, ok: (status: number) => boolean = (s) => s < 300) =>
    persist(what, deadline, async () => {
      const res = await client.post(url, payload);
      const text = await res.text();
      const body = (text ? JSON.parse(text) : {}) as T & { type?: string };
      if (res.status >= 500 || res.status === 429 || body.type === 'urn:ietf:params:acme:error:badNonce') return null;
      if (!ok(res.status)) throw new GaveUp(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return { body, location: res.headers.get('location') };
    });

  await persist('ACME directory', deadline, async () => (await client.init()).directory.newAccount ?? null);
  await persist('ACME newAccount', deadline, async () => {
    const res = await client.register();
    return res.status === 200 || res.status === 201 ? true : null;
  });
  const created = await post<{ authorizations: string[]; finalize: string }>('newOrder', client.directory.newOrder!, { identifiers: [{ type: 'dns', value: run.fqdn }] });
  const orderUrl = created.location!;
  run.created.push(orderUrl.split('/').pop()!);

  const authz = await post<{ challenges: Array<{ type: string; url: string; token: string }> }>('authorization', created.body.authorizations[0]!, '');
  const challenge = authz.body.challenges.find((c) => c.type === run.challenge);
  if (!challenge) throw new GaveUp(`no ${run.challenge} challenge offered`);
  const keyAuthorization = `${challenge.token}.${await client.thumbprint()}`;
  if (run.challenge === 'dns-01') {
    const digest = createHash('sha256').update(keyAuthorization).digest();
    target.dns.add({ name: `_acme-challenge.${run.fqdn}`, type: 'TXT', value: b64url(digest) });
  } else {
    target.dns.add({ name: run.fqdn, type: 'A', value: '127.0.0.1' });
    target.http01!.set(challenge.token, keyAuthorization);
  }
  await post('answer the challenge', challenge.url, {});

  // The authorization is valid only once corroborated (step 3); invalid ends the order.
  const settled = await persist('authorization', deadline, async () => {
    const r = await post<{ status: string }>('authorization', created.body.authorizations[0]!, '');
    return r.body.status === 'pending' || r.body.status === 'processing' ? (await new Promise((res) => setTimeout(res, 1_000)), null) : r.body.status;
  });
  if (settled === 'valid') {
    // 403 orderNotReady: an earlier finalize whose answer was lost already moved the order on.
    await post('finalize', created.body.finalize, { csr: b64url(csr.der) }, (s) => s < 300 || s === 403);
  }
  await awaitOutcome(run, deadline, async () => {
    const r = await post<{ status: string; error?: { type: string; detail: string } }>('order', orderUrl, '');
    return { status: r.body.status === 'ready' && settled !== 'valid' ? 'pending' : r.body.status, error: r.body.error ?? null };
  });
}
