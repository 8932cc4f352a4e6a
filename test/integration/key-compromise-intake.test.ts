/**
 * POST /key-compromise is public (CP 4.9.12): what a reporter controls — the key type and size, how often it asks —
 * must not turn into a 500 or into work without bound. Real PostgreSQL, a recording CaWorkflows; the report's happy
 * path and its activities are test/integration/revocation.test.ts.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import type { RateLimits } from '../../api/rate-limit';
import { loadConfig } from '../../config';
import { MAX_PROOF_RSA_BITS } from '../../pki/key-compromise';
import { concat, tlv } from '../../pki/der';
import { pemEncode } from '../../pki/pem';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
const config = loadConfig();
const workflows = fakeWorkflows();
const generous: RateLimits = { perClient: { burst: 1000, perMinute: 1000 }, global: { burst: 1000, perMinute: 1000 } };

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'kc_intake' });
});
afterAll(async () => {
  await fresh?.drop();
});

const reports = async () => (await fresh.handle.sql`select count(*)::int as n from key_compromise_reports`)[0]!.n as number;

function app(limits: RateLimits = generous) {
  return createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date(), limits: { keyCompromise: limits } });
}

/** A request from the peer `remoteAddress`, as @hono/node-server hands it to the app. */
function post(a: ReturnType<typeof app>, body: string | Uint8Array, opts: { type?: string; from?: string } = {}) {
  return a.request(
    '/key-compromise',
    { method: 'POST', headers: { 'content-type': opts.type ?? 'application/json' }, body },
    { incoming: { socket: { remoteAddress: opts.from ?? '198.51.100.1' } } },
  );
}

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as { type: string; detail: string; rule?: string };
}

// ASN.1 builders for keys nobody would generate: only their size matters here.
const int = (b: Uint8Array) => tlv(0x02, b[0]! & 0x80 ? concat([Uint8Array.of(0), b]) : b);
const big = (bits: number) => {
  const b = new Uint8Array(randomBytes(bits / 8));
  b[0]! |= 0x80;
  b[b.length - 1]! |= 1;
  return b;
};
const oid = (hex: string) => tlv(0x06, Buffer.from(hex, 'hex'));
const rsaEncryption = tlv(0x30, concat([oid('2a864886f70d010101'), Uint8Array.of(0x05, 0x00)]));
const sha256WithRsa = tlv(0x30, concat([oid('2a864886f70d01010b'), Uint8Array.of(0x05, 0x00)]));
const bitString = (b: Uint8Array) => tlv(0x03, concat([Uint8Array.of(0), b]));

/** An RSA private key (PKCS#1) of `bits` made of random numbers: it loads, and signing with it costs what its size costs. */
function hugeRsaPrivateKeyPem(bits: number): string {
  const half = bits / 2;
  const der = tlv(0x30, concat([int(Uint8Array.of(0)), int(big(bits)), int(Uint8Array.of(1, 0, 1)), int(big(bits)), ...[1, 2, 3, 4, 5].map(() => int(big(half)))]));
  return pemEncode('RSA PRIVATE KEY', der);
}

/** A CSR (CN states the compromise) whose RSA key has a `bits` modulus and a `bits` exponent: costly to verify. */
function hugeRsaCsr(bits: number): Uint8Array {
  const spki = tlv(0x30, concat([rsaEncryption, bitString(tlv(0x30, concat([int(big(bits)), int(big(bits))])))]));
  const cn = tlv(0x30, tlv(0x31, tlv(0x30, concat([oid('550403'), tlv(0x0c, new TextEncoder().encode('This key is compromised'))]))));
  const info = tlv(0x30, concat([int(Uint8Array.of(0)), cn, spki, Uint8Array.of(0xa0, 0x00)]));
  return tlv(0x30, concat([info, sha256WithRsa, bitString(big(bits))]));
}

describe('proofs whose key would cost without bound, or that sign nothing, are 400 problems (never 500), nothing stored', () => {
  const pem = (type: 'x25519' | 'x448') => generateKeyPairSync(type as 'x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  it.each<[string, () => { body: string | Uint8Array; type?: string }, string]>([
    ['an X25519 private key (key agreement: it signs nothing)', () => ({ body: JSON.stringify({ privateKey: pem('x25519') }) }), '/problems/badPublicKey'],
    ['an X448 private key', () => ({ body: JSON.stringify({ privateKey: pem('x448') }) }), '/problems/badPublicKey'],
    [`an RSA private key above ${MAX_PROOF_RSA_BITS} bits`, () => ({ body: JSON.stringify({ privateKey: hugeRsaPrivateKeyPem(8192) }) }), '/problems/badPublicKey'],
    ['a CSR whose RSA key has a 16384-bit modulus and exponent', () => ({ body: hugeRsaCsr(16384), type: 'application/pkcs10' }), '/problems/badPublicKey'],
    ['a public key instead of a private key', () => ({ body: JSON.stringify({ privateKey: generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString() }) }), '/problems/malformed'],
  ])('%s', async (_rule, request, type) => {
    const before = await reports();
    const { body, type: contentType } = request();
    const res = await post(app(), body, contentType ? { type: contentType } : {});
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(p.type).toBe(type);
    if (type === '/problems/badPublicKey') expect(p.rule).toBe('CP 4.9.12');
    expect(await reports()).toBe(before);
  });

  it('an Ed25519 private key is a proof (a signing key of bounded cost)', async () => {
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const res = await post(app(), JSON.stringify({ privateKey: key }));
    expect(res.status).toBe(202);
  });
});

describe('rate limits: per client and for everyone (429 with Retry-After, before the body is read)', () => {
  const limits: RateLimits = { perClient: { burst: 2, perMinute: 1 }, global: { burst: 3, perMinute: 1 } };

  it('a client over its limit is refused while another is not, until the global limit refuses everyone', async () => {
    const a = app(limits);
    const ask = async (from: string) => {
      const res = await post(a, '{}', { from });
      return res.status === 429 ? { status: 429, retryAfter: res.headers.get('retry-after'), type: (await problem(res)).type } : res.status;
    };
    expect(await ask('198.51.100.1')).toBe(400);
    expect(await ask('198.51.100.1')).toBe(400);
    expect(await ask('198.51.100.1')).toEqual({ status: 429, retryAfter: '60', type: '/problems/rateLimited' });
    // Another address of the same IPv6 /64 is the same client; another IPv4 address is not.
    expect(await ask('2001:db8:0:1::1')).toBe(400);
    expect(await ask('2001:db8:0:1::2')).toMatchObject({ status: 429 });
    expect(await ask('198.51.100.2')).toMatchObject({ status: 429, type: '/problems/rateLimited' });
  });
});
