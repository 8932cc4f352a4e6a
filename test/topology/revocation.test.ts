/**
 * Revocation in the production topology: the applicant revokes through the REST API (CP 4.9.3), the revocation
 * workflow records it, the signing worker re-signs the serial's OCSP response and the CRL; the standalone OCSP
 * responder (its own user, PostgreSQL only) answers `revoked`, and the served CRL lists the serial (checked with
 * OpenSSL, an independent tool).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pemEncode } from '../../pki/pem';
import { eventually } from '../support/ca-harness';
import { applyDv, openssl, opensslChecked, useStack } from './stack-client';

const t = useStack();

const work = mkdtempSync(path.join(tmpdir(), 'topology-revocation-'));
const file = (name: string, der: Buffer, label = 'CERTIFICATE') => {
  const p = path.join(work, name);
  writeFileSync(p, pemEncode(label, der));
  return p;
};
const der = async (res: Response) => Buffer.from(await res.arrayBuffer());


describe('revocation in the production topology', () => {
  it('a revoked certificate is `revoked` at the OCSP responder and listed in the CRL', async () => {
    const order = await applyDv(t.c, t.apiKey, [t.c.name()]);
    expect(order.status, JSON.stringify(order.error)).toBe('valid');
    const serial = order.certificate!.serial;
    const leaf = file('leaf.pem', await der(await t.c.api(`/v1/orders/${order.id}/certificate`, { apiKey: t.apiKey, headers: { accept: 'application/pkix-cert' } })));
    const root = file('root.pem', await der(await t.c.api('/repository/ca/root.cer')));
    const dv = file('dv.pem', await der(await t.c.api('/repository/ca/dv.cer')));
    const ocsp = () => opensslChecked(['ocsp', '-issuer', dv, '-cert', leaf, '-url', `${t.c.state.ocspUrl}/ocsp/dv`, '-CAfile', root, '-no_nonce']).out;
    // Pre-signed at issuance (BR 4.9.10): good before the revocation; the response verifies under the root.
    const before = ocsp();
    expect(before).toMatch(/Response verify OK/);
    expect(before).toMatch(/: good/);

    const res = await t.c.api(`/v1/certificates/${serial}/revoke`, { method: 'POST', apiKey: t.apiKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'keyCompromise' }) });
    expect(res.status, await res.clone().text()).toBe(202);

    const answer = await eventually(async () => {
      const out = ocsp();
      return /: revoked/.test(out) ? out : null;
    }, 60_000, 500);
    expect(answer).toMatch(/Response verify OK/);
    expect(answer).toMatch(/Reason: keyCompromise/);

    const crlText = await eventually(async () => {
      const text = openssl(['crl', '-inform', 'DER', '-noout', '-text'], await der(await t.c.api('/repository/crl/dv.crl')));
      return text.includes(serial.toUpperCase()) ? text : null;
    }, 60_000, 500);
    expect(crlText).toMatch(new RegExp(`${serial.toUpperCase()}[\\s\\S]*?Key Compromise`));
    // The CRL verifies under the issuing CA (openssl crl -verify).
    const crlFile = file('dv.crl.pem', await der(await t.c.api('/repository/crl/dv.crl')), 'X509 CRL');
    const chain = path.join(work, 'chain.pem');
    writeFileSync(chain, openssl(['x509', '-in', root]) + openssl(['x509', '-in', dv]));
    const verified = opensslChecked(['crl', '-in', crlFile, '-CAfile', chain, '-noout', '-verify']);
    expect(verified).toMatchObject({ status: 0, out: expect.stringMatching(/verify OK/) });
  });
});
