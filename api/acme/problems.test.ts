import { describe, expect, it } from 'vitest';
import { allFailureKinds, CaError, failureKinds } from '../../domain/errors';
import { renderAcmeProblem } from './problems';
import { acmeUrls } from './urls';

describe('ACME problem documents from the failure-kind table (RFC 8555 §6.7)', () => {
  it.each(allFailureKinds)('renders %s with the type and status of its table row', (kind) => {
    const p = renderAcmeProblem(new CaError(kind, 'why'));
    expect(p.status).toBe(failureKinds[kind].acme.status);
    expect(p.document).toEqual({ type: `urn:ietf:params:acme:error:${failureKinds[kind].acme.type}`, detail: 'why', status: p.status });
  });

  it('keeps the statuses clients rely on', () => {
    const status = (k: Parameters<typeof renderAcmeProblem>[0]) => renderAcmeProblem(k).status;
    expect(status(new CaError('unauthorized', 'x'))).toBe(403);
    expect(status(new CaError('notFound', 'x'))).toBe(404);
    expect(status(new CaError('conflict', 'x'))).toBe(409);
    expect(status(new CaError('payloadTooLarge', 'x'))).toBe(413);
    expect(status(new CaError('unsupportedMediaType', 'x'))).toBe(415);
    expect(status(new CaError('orderNotReady', 'x'))).toBe(403);
    expect(status(new CaError('serviceUnavailable', 'x'))).toBe(503);
  });

  it('puts subproblems, algorithms, instance, rule and identifier in the document; other details stay private', () => {
    const p = renderAcmeProblem(
      new CaError('rejectedIdentifier', 'bad names', {
        subproblems: [{ kind: 'rejectedIdentifier', detail: 'underscore (BR 7.1.4.2)', identifier: 'a_b.example.jp' }],
        algorithms: ['ES256'],
        instance: 'https://example.jp/tos',
        rule: 'BR 7.1.4.2',
        identifier: 'a_b.example.jp',
        existingAccountId: 'secret',
      }),
    );
    expect(p.document).toEqual({
      type: 'urn:ietf:params:acme:error:rejectedIdentifier',
      detail: 'bad names',
      status: 400,
      subproblems: [{ type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'underscore (BR 7.1.4.2)', identifier: { type: 'dns', value: 'a_b.example.jp' } }],
      algorithms: ['ES256'],
      instance: 'https://example.jp/tos',
      rule: 'BR 7.1.4.2',
      identifier: { type: 'dns', value: 'a_b.example.jp' },
    });
  });

  it('sends retryAfterSeconds and location as headers, not members', () => {
    const p = renderAcmeProblem(new CaError('conflict', 'in use', { retryAfterSeconds: 10, location: 'https://acme.example/acct/1' }));
    expect(p.headers).toEqual({ 'Retry-After': '10', Location: 'https://acme.example/acct/1' });
    expect(p.document).not.toHaveProperty('location');
    expect(p.document).not.toHaveProperty('retryAfterSeconds');
  });

  it('answers anything that is not a CaError as serverInternal without its text', () => {
    const p = renderAcmeProblem(new Error('password=hunter2'));
    expect(p).toEqual({ status: 500, headers: {}, document: { type: 'urn:ietf:params:acme:error:serverInternal', detail: 'internal error', status: 500 } });
  });
});

describe('ACME URLs', () => {
  it('builds every URL from the base and reads account URLs back', () => {
    const u = acmeUrls('https://acme.example:8443/acme/');
    expect([u.base, u.basePath, u.origin, u.directory]).toEqual(['https://acme.example:8443/acme', '/acme', 'https://acme.example:8443', 'https://acme.example:8443/acme/directory']);
    const id = '0e4f5a2c-1b9d-4c1e-8f00-123456789abc';
    expect(u.accountIdOf(u.account(id))).toBe(id);
    expect(u.accountIdOf(`${u.account(id)}/orders`)).toBeNull();
    expect(u.accountIdOf(`https://other.example/acme/acct/${id}`)).toBeNull();
    expect(acmeUrls('https://acme.example').basePath).toBe('');
  });
});
