/**
 * Fuzzing of what the ACME door decodes from a client (RFC 8555), through HTTP (the Hono app): the finalize CSR
 * (§7.4), the certificate of revokeCert (§7.6), and the JWS itself — JSON, base64url, the protected header, the
 * account JWK (§6.2). Inputs: test/support/der-fuzz.ts. Property: an RFC 8555 §6.7 problem document with a 4xx
 * status, never a 500, and nothing changed (no account, order state, revocation or audit entry).
 * The server, its fresh database and the recording Temporal fake: ./acme-fixture.ts.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { base64url } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemorySigner } from '../../pki/memory-signer';
import { signTestHierarchy } from '../../pki/test-support';
import { signJws, type AcmeTestClient } from '../support/acme-client';
import { makeCsr } from '../support/csr';
import { fuzz, malformedDer } from '../support/der-fuzz';
import { client, registeredClient, state, useAcmeTestServer, zone } from './acme-fixture';

const s = useAcmeTestServer('fuzz_acme');
const concurrency = 8;
let c: AcmeTestClient;

beforeAll(async () => {
  // Ed25519: the cheapest signatures to make and check, so the cases spend their time in what is fuzzed.
  c = await client(s, 'EdDSA');
  await c.register();
});

/** A JWS-signed POST with a nonce straight from the store (no round trip: concurrent requests need one each). */
const post = (url: string, payload: unknown) => c.post(url, payload, { nonce: s.deps.nonces.issue() });

async function expectAcmeProblem(res: Response, input: Uint8Array | string): Promise<void> {
  const text = await res.text();
  const type = (res.headers.get('content-type') ?? '').includes('application/problem+json') ? (JSON.parse(text) as { type?: string }).type : undefined;
  if (res.status < 400 || res.status > 499 || !type?.startsWith('urn:ietf:params:acme:error:')) {
    const shown = typeof input === 'string' ? input.slice(0, 200) : Buffer.from(input).toString('hex').slice(0, 200);
    throw new Error(`HTTP ${res.status} ${text.slice(0, 300)} for ${shown}`);
  }
}

describe('fuzz: what the ACME door decodes (4xx problem, never 500, nothing changed)', { timeout: 120_000 }, () => {
  it('finalize (RFC 8555 §7.4): the CSR; a rare mutation OpenSSL still verifies may finalize', async () => {
    const name = `fuzz.${zone}`;
    const created = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: name }] });
    const { finalize } = (await created.json()) as { finalize: string };
    const orderId = created.headers.get('location')!.split('/').pop()!;
    const ready = () => s.fresh.handle.sql`update orders set status = 'ready', csr_der = '\\x'::bytea where id = ${orderId}`;
    await ready();
    const csrs = [makeCsr({ names: [name] }).der, makeCsr({ names: [name], key: 'ec256' }).der];
    const before = await state(s);
    let accepted = 0;
    await fuzz('ACME finalize (csr)', malformedDer(csrs), async (der) => {
      const res = await post(finalize, { csr: base64url.encode(der) });
      const verified = res.status === 200 && spawnSync('openssl', ['req', '-inform', 'DER', '-noout', '-verify'], { input: der, encoding: 'utf8' }).stderr.includes('verify OK');
      if (!verified) return expectAcmeProblem(res, der);
      accepted++;
      await ready();
    }, { concurrency });
    expect(s.workflows.calls.signalFinalize.length).toBe(accepted);
    const after = await state(s);
    expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
    expect(after.audit - before.audit).toBe(accepted);
  });

  it('revokeCert (RFC 8555 §7.6): the certificate', async () => {
    const { rootDer, dvDer } = await signTestHierarchy(new InMemorySigner(), { notBefore: new Date(), rootNotAfter: new Date(Date.now() + 86_400_000), dvNotAfter: new Date(Date.now() + 86_400_000) });
    const before = await state(s);
    const revocations = s.workflows.calls.startRevocation.length;
    await fuzz('ACME revokeCert (certificate)', malformedDer([rootDer, dvDer]), async (der) =>
      expectAcmeProblem(await post(c.directory.revokeCert!, { certificate: base64url.encode(der), reason: 1 }), der),
    { concurrency });
    expect(s.workflows.calls.startRevocation.length).toBe(revocations);
    expect(await state(s)).toEqual(before);
  });

  it('the JWS of newAccount: JSON, base64url, protected header and JWK mutated', async () => {
    const fresh = await registeredClient(s);
    const valid = async () =>
      JSON.stringify(await signJws(fresh.key, { nonce: s.deps.nonces.issue(), url: fresh.directory.newAccount!, jwk: fresh.key.jwk }, { termsOfServiceAgreed: true }));
    const samples = [await valid(), await valid()];
    // Character-level edits of a valid JWS body: replaced, dropped and inserted characters, truncation.
    const mutated = fc
      .tuple(fc.integer({ min: 0, max: samples.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom('r', 'd', 'i'), fc.string({ minLength: 1, maxLength: 1 })), { minLength: 1, maxLength: 6 }), fc.option(fc.nat()))
      .map(([i, edits, cut]) => {
        let text = samples[i]!;
        for (const [at, op, ch] of edits) {
          const p = at % (text.length + 1);
          text = op === 'r' ? text.slice(0, p) + ch + text.slice(p + 1) : op === 'd' ? text.slice(0, p) + text.slice(p + 1) : text.slice(0, p) + ch + text.slice(p);
        }
        return cut === null ? text : text.slice(0, cut % (text.length + 1));
      })
      .filter((text) => !samples.includes(text));
    const before = await state(s);
    await fuzz('ACME JWS (newAccount)', fc.oneof(mutated, fc.string({ maxLength: 300 }), fc.json()), async (body) => {
      const res = await s.app.request(fresh.directory.newAccount!, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body });
      // The account of this key exists: a mutation that still verifies finds it (200); anything else is a problem.
      if (res.status !== 200) await expectAcmeProblem(res, body);
    }, { concurrency });
    expect(await state(s)).toEqual(before);
  });
});
