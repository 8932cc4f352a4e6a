import { describe, expect, it } from 'vitest';
import {
  authorizeRevocation,
  crlReasonCode,
  parseReason,
  revocationDeadline,
  revocationReasons,
  statesKeyCompromise,
  type CertificateFacts,
  type Requester,
} from './revocation';

const now = new Date('2026-11-26T00:00:00Z');
const HOUR = 3_600_000;

const cert = (over: Partial<CertificateFacts> = {}): CertificateFacts => ({
  accountId: 'acct-owner',
  providerAccountId: 'acct-provider',
  acmeAccountId: null,
  spkiSha256Hex: 'ab'.repeat(32),
  status: 'issued',
  revocationReason: null,
  notAfter: new Date(now.getTime() + 100 * 24 * HOUR),
  ...over,
});

const owner: Requester = { kind: 'subscriber', accountId: 'acct-owner' };
const stranger: Requester = { kind: 'subscriber', accountId: 'acct-other' };
const provider: Requester = { kind: 'provider', accountId: 'acct-provider' };
const otherProvider: Requester = { kind: 'provider', accountId: 'acct-provider-2' };
const operator: Requester = { kind: 'operator', name: 'alice' };
const report: Requester = { kind: 'keyCompromiseReport', reportId: 'r1' };
const acmeAccount: Requester = { kind: 'acmeAccount', acmeAccountId: 'acme-1' };
const keyHolder: Requester = { kind: 'certificateKey', spkiSha256Hex: 'ab'.repeat(32) };

describe('who may revoke, with which reason (CP 4.9.2, 3.4, 7.2.3; BR 7.2.2)', () => {
  it.each<[string, Requester, CertificateFacts, number, 'ok' | 'notFound' | 'badRevocationReason' | 'conflict']>([
    ['CP 4.9.2: the subscriber revokes its own certificate (unspecified)', owner, cert(), 0, 'ok'],
    ['CP 4.9.2: the subscriber reports keyCompromise', owner, cert(), 1, 'ok'],
    ['CP 7.2.3: affiliationChanged', owner, cert(), 3, 'ok'],
    ['CP 7.2.3: superseded', owner, cert(), 4, 'ok'],
    ['CP 7.2.3: cessationOfOperation', owner, cert(), 5, 'ok'],
    ['CP 4.9.2: another account cannot revoke (and learns nothing: notFound)', stranger, cert(), 0, 'notFound'],
    ['CP 3.4 (1): the designated provider that relayed the application', provider, cert(), 4, 'ok'],
    ['CP 3.4 (1): a provider that did not relay it cannot', otherProvider, cert(), 4, 'notFound'],
    ['CP 3.4 (1): no provider relayed it', provider, cert({ providerAccountId: null }), 4, 'notFound'],
    ['BR 7.2.2: privilegeWithdrawn is the CA’s reason — refused to the subscriber', owner, cert(), 9, 'badRevocationReason'],
    ['BR 7.2.2: privilegeWithdrawn refused to the provider', provider, cert(), 9, 'badRevocationReason'],
    ['BR 7.2.2: operators may use privilegeWithdrawn', operator, cert(), 9, 'ok'],
    ['CP 4.9.13: certificateHold is never used, not even by operators', operator, cert(), 6, 'badRevocationReason'],
    ['CP 4.9.13: certificateHold refused to the subscriber', owner, cert(), 6, 'badRevocationReason'],
    ['CP 7.2.3: cACompromise is not a reason this CA uses for leaves', operator, cert(), 2, 'badRevocationReason'],
    ['RFC 5280: removeFromCRL is never used', owner, cert(), 8, 'badRevocationReason'],
    ['CP 4.9.12: a verified key-compromise report revokes with keyCompromise', report, cert(), 1, 'ok'],
    ['CP 4.9.12: a report revokes with keyCompromise only', report, cert(), 4, 'badRevocationReason'],
    ['CP 3.4 (2): the ACME account of an ACME-issued certificate', acmeAccount, cert({ acmeAccountId: 'acme-1' }), 0, 'ok'],
    ['CP 3.4 (2): not for API-issued certificates', acmeAccount, cert(), 0, 'notFound'],
    ['CP 3.4 (3): the certificate key holder, ACME-issued', keyHolder, cert({ acmeAccountId: 'acme-1' }), 1, 'ok'],
    ['CP 3.4 (3): the key holder path is ACME-only (API: use the key-compromise report)', keyHolder, cert(), 1, 'notFound'],
    ['BR 7.1.2.9: a precertificate is revocable', owner, cert({ status: 'precertificate' }), 0, 'ok'],
    ['nothing signed yet: a reserved serial is not revocable', owner, cert({ status: 'reserved' }), 0, 'conflict'],
    ['CP 4.9.6: an expired certificate is not revoked', owner, cert({ notAfter: new Date(now.getTime() - 1000) }), 0, 'conflict'],
    ['CP 4.9.13: a revoked certificate stays revoked (no repeat)', owner, cert({ status: 'revoked', revocationReason: 4 }), 4, 'conflict'],
    ['BR 7.2.2: an earlier revocation may be upgraded to keyCompromise', owner, cert({ status: 'revoked', revocationReason: 4 }), 1, 'ok'],
    ['BR 7.2.2: keyCompromise twice is a repeat', owner, cert({ status: 'revoked', revocationReason: 1 }), 1, 'conflict'],
  ])('%s', (_rule, requester, facts, reason, expected) => {
    const d = authorizeRevocation(requester, facts, reason, now);
    expect(d.ok ? 'ok' : d.kind).toBe(expected);
  });

  it('flags the keyCompromise upgrade of a revoked certificate as a reason change only', () => {
    const d = authorizeRevocation(owner, cert({ status: 'revoked', revocationReason: 0 }), 1, now);
    expect(d.ok && d.reasonChangeOnly).toBe(true);
  });
});

describe('BR 4.9.1.1 deadlines', () => {
  it.each<[string, Requester, number, number]>([
    ['(1) the subscriber asks: 24 hours', owner, 4, 24],
    ['(1) the provider asks for the subscriber: 24 hours', provider, 0, 24],
    ['(3) key compromise: 24 hours', owner, 1, 24],
    ['(3) key compromise found by an operator: 24 hours', operator, 1, 24],
    ['CP 4.9.12 report: 24 hours', report, 1, 24],
    ['the CA’s own finding (privilegeWithdrawn): 5 days', operator, 9, 120],
    ['the CA’s own finding (superseded after mis-issuance): 5 days', operator, 4, 120],
  ])('%s', (_rule, requester, reason, hours) => {
    const { deadline } = revocationDeadline(requester, reason as never, now);
    expect((deadline.getTime() - now.getTime()) / HOUR).toBe(hours);
  });
});

describe('reasons (CP 7.2.3, RFC 5280 5.3.1)', () => {
  it.each<[string, string | number | undefined, number | 'refused']>([
    ['no reason given = unspecified', undefined, 0],
    ['by name', 'keyCompromise', 1],
    ['by code', 5, 5],
    ['by code as text', '3', 3],
    ['certificateHold refused by name', 'certificateHold', 'refused'],
    ['certificateHold refused by code', 6, 'refused'],
    ['unknown name refused', 'lostIt', 'refused'],
    ['aACompromise refused', 'aACompromise', 'refused'],
  ])('%s', (_rule, input, expected) => {
    const r = parseReason(input);
    expect(r.ok ? r.code : 'refused').toBe(expected);
  });

  it('unspecified is written without a reasonCode; the others as themselves (CP 7.2.3)', () => {
    expect(crlReasonCode(revocationReasons.unspecified)).toBeUndefined();
    for (const code of [1, 3, 4, 5, 9]) expect(crlReasonCode(code)).toBe(code);
    expect(() => crlReasonCode(6)).toThrow(/CP 7.2.3/);
  });
});

describe('CP 4.9.12: the CN of a proof CSR states the compromise', () => {
  it.each<[string | undefined, boolean]>([
    ['This key is compromised', true],
    ['this key is COMPROMISED', true],
    ['www.example.jp', false],
    [undefined, false],
    ['uncompromised', false],
  ])('%s → %s', (cn, expected) => {
    expect(statesKeyCompromise(cn)).toBe(expected);
  });
});
