import { describe, expect, it } from 'vitest';
import { allFailureKinds, CaError, failureKinds } from '../domain/errors';
import { problemDocumentation, toProblem } from './problems';

describe('REST problem documents come from the one failure table (RFC 7807, domain/errors.ts)', () => {
  it('every kind of the table is documented at /problems/<kind> with its title and status', () => {
    for (const kind of allFailureKinds) {
      expect(problemDocumentation(kind)).toEqual({ type: `/problems/${kind}`, ...failureKinds[kind].problem });
    }
    expect(problemDocumentation('toString')).toBeNull();
    expect(problemDocumentation('NoSuchKind')).toBeNull();
  });

  it('renders a CaError with the table’s title and status; Retry-After and Location are headers, not body members', () => {
    const err = new CaError('serviceUnavailable', 'down', { rule: 'CP 5.7', retryAfterSeconds: 10, location: 'https://ca.example.jp/x' });
    const { body, headers } = toProblem(err, '/v1/orders');
    expect(body).toEqual({ type: '/problems/serviceUnavailable', title: 'Service unavailable', status: 503, detail: 'down', instance: '/v1/orders', rule: 'CP 5.7' });
    expect(headers).toEqual({ 'retry-after': '10', location: 'https://ca.example.jp/x' });
    expect(toProblem(new CaError('rateLimited', 'slow down')).body).toMatchObject({ status: 429, title: failureKinds.rateLimited.problem.title });
  });
});
