import { describe, expect, it } from 'vitest';
import { itGivesEach } from '../test/support/table';
import { describeRefusals, evaluateIssuanceGate, type GateAuthorization, type IssuanceFacts } from './issuance-gate';

// The modulus of an RSA-2048 key made by `openssl genrsa 2048` (public value; the same as domain/keys.test.ts).
const N = BigInt(
  '0xF9D5AEBB41184230E267F2B01A040073EEFBD7D7BBA01DC8D6DE000F5D275BD755FA6AAD59CA599F037A339D5FFADE7F2CDD0875649D100D12587DB4C0F14A4331068199667006E42EF05BE6874EF8213269A32D70831FC4CFCF17F32362322C0976267AB79A0C79B618B4BEF2DF029DA5FEFA61BCAE020006BCB9BD4389492214C0139D7BD8EF13900308A1F80E2081EFDE8706B55B2240F16C016DEEA984BAE59848F49EEB1215E23CE22C7027732AAA69EE759FF06871C8D5DF0C633B45FF26C478D95FFD3A3853560B0AE38C322B3308B4092C92FBE35269529A701FA85588FE5391FCAA5F798C30AE426609F9B0B77D6CFBD9578553C28555E0102EE4B1',
);

const now = new Date('2026-06-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const daysAgo = (d: number) => hoursAgo(24 * d);
const ACCOUNT = 'acct-a';

function authz(fqdn: string, over: Partial<GateAuthorization> = {}, validation: Partial<NonNullable<GateAuthorization['validation']>> = {}): GateAuthorization {
  const id = `authz-${fqdn}`;
  return {
    id,
    fqdn,
    wildcard: fqdn.startsWith('*.'),
    status: 'valid',
    accountId: ACCOUNT,
    validation: {
      authorizationId: id,
      accountId: ACCOUNT,
      fqdn,
      wildcard: fqdn.startsWith('*.'),
      authorizationStatus: 'valid',
      method: '3.2.2.4.7',
      validatedAt: daysAgo(1),
      dcvCorroboration: 'pass',
      ...validation,
    },
    ...over,
  };
}

/** Facts that prove everything: a DV order for two names, validated yesterday by DNS change, CAA checked an hour ago. */
function issuable(over: Partial<IssuanceFacts> = {}): IssuanceFacts {
  const names = ['www.example.jp', '*.example.jp'];
  return {
    step: 'precertificate',
    now,
    order: { id: 'order-1', status: 'processing', accountId: ACCOUNT, providerAccountId: null, dnsNames: names, profile: 'dv', organizationId: null },
    issuerCaId: 'dv',
    vettedRecord: null,
    account: { id: ACCOUNT, status: 'active' },
    provider: null,
    acmeAccount: null,
    certificate: { serial: '4a01', orderId: 'order-1', status: 'reserved', hasPrecertificate: false },
    tbsNames: names,
    authorizations: names.map((n) => authz(n)),
    caa: names.map((fqdn) => ({ fqdn, result: 'pass' as const, checkedAt: hoursAgo(1), validUntil: hoursAgo(-7) })),
    key: { kind: 'rsa', modulus: N, exponent: 65537n, bits: 2048 },
    blockedKey: null,
    lint: { required: ['zlint', 'pkilint'], passed: ['zlint', 'pkilint'] },
    ...over,
  };
}

const base = issuable();
const withAuthz = (i: number, a: GateAuthorization): IssuanceFacts => ({ ...base, authorizations: base.authorizations.map((x, j) => (j === i ? a : x)) });
const withCaa = (c: Partial<IssuanceFacts['caa'][number]>): IssuanceFacts => ({ ...base, caa: [{ ...base.caa[0]!, ...c }, base.caa[1]!] });
/** An OV order of organization org-1 under the OV key, pinning a record vetted 300 days ago (valid 398 days). */
const record = { id: 'record-1', organizationId: 'org-1', validFrom: daysAgo(300), validUntil: daysAgo(300 - 398) };
const ov = (over: Partial<IssuanceFacts> = {}, order: Partial<IssuanceFacts['order']> = {}): IssuanceFacts =>
  issuable({ order: { ...base.order, profile: 'ov', organizationId: 'org-1', ...order }, issuerCaId: 'ov', vettedRecord: record, ...over });

/** The checks the gate refuses on, sorted and joined ('' = signs). */
const refusedChecks = (f: IssuanceFacts): string => {
  const v = evaluateIssuanceGate(f);
  return v.ok ? '' : [...new Set(v.refusals.map((r) => r.check))].sort().join(',');
};

describe('evaluateIssuanceGate: what the signer requires of the records', () => {
  itGivesEach(refusedChecks, [
    ['everything proven: the precertificate may be signed', base, ''],
    ['everything proven: the certificate of the precertificate may be signed (step 10)', issuable({ step: 'final', certificate: { ...base.certificate, status: 'precertificate', hasPrecertificate: true } }), ''],
    ['BR 4.2.1: a validation 199 days old is still reusable (200 days until 2027-03-15)', withAuthz(0, authz('www.example.jp', {}, { validatedAt: daysAgo(199) })), ''],
    ['BR 3.2.2.8: a CAA TTL above 8 h extends the check (9 h old, TTL 10 h)', withCaa({ checkedAt: hoursAgo(9), validUntil: hoursAgo(-1) }), ''],
    ['BR 3.2.2.9: constructed e-mail (3.2.2.4.4) has no DCV corroboration round', withAuthz(0, authz('www.example.jp', {}, { method: '3.2.2.4.4', dcvCorroboration: null })), ''],
    ['RFC 8555 §7.1.4: a wildcard authorization stored under its base name', withAuthz(1, authz('example.jp', { wildcard: true }, { fqdn: 'example.jp', wildcard: true })), ''],
    ['CP 3.2.2.1, 7.1.1: an OV order pinning its organization\'s vetted record, valid now', ov(), ''],
    ['CP 1.3: an order relayed by an active designated provider', issuable({ order: { ...base.order, providerAccountId: 'prov' }, provider: { id: 'prov', status: 'active', kind: 'provider' } }), ''],

    ['CP 4.3.1: the order must be processing (a pending order, e.g. a forged workflow)', issuable({ order: { ...base.order, status: 'pending' } }), 'order-state'],
    ['CP 4.3.1: a serial reserved for another order', issuable({ certificate: { ...base.certificate, orderId: 'order-2' } }), 'order-state'],
    ['CP 4.3.1: a precertificate is signed once', issuable({ certificate: { ...base.certificate, status: 'precertificate', hasPrecertificate: true } }), 'order-state'],
    ['CP 4.3.1: no certificate for a revoked precertificate', issuable({ step: 'final', certificate: { ...base.certificate, status: 'revoked', hasPrecertificate: true } }), 'order-state'],
    ['CP 4.1: a disabled applicant account', issuable({ account: { id: ACCOUNT, status: 'disabled' } }), 'account'],
    ['CP 1.3: a disabled relaying provider', issuable({ order: { ...base.order, providerAccountId: 'prov' }, provider: { id: 'prov', status: 'disabled', kind: 'provider' } }), 'account'],
    ['CP 1.3: the relaying account is not a provider', issuable({ order: { ...base.order, providerAccountId: 'prov' }, provider: { id: 'prov', status: 'active', kind: 'subscriber' } }), 'account'],
    ['RFC 8555 §7.1.2: a revoked ACME account', issuable({ acmeAccount: { id: 'acme-1', status: 'revoked', accountId: ACCOUNT } }), 'account'],
    ['CP 7.1.1: a TBS without names', issuable({ tbsNames: [] }), 'names'],
    ['CP 4.1: a TBS name that is not the order\'s', issuable({ tbsNames: [...base.tbsNames, 'victim.example.jp'] }), 'names'],
    ['CP 3.2.2.4: no authorizations at all (a forged workflow started with an empty list)', issuable({ authorizations: [] }), 'authorization'],
    ['CP 3.2.2.4: an authorization still pending', withAuthz(0, authz('www.example.jp', { status: 'pending' })), 'authorization'],
    ['CP 3.2.2.4: another account\'s authorization', withAuthz(0, authz('www.example.jp', { accountId: 'acct-b' })), 'authorization'],
    ['CP 3.2.2.4: reused from another account\'s validation', withAuthz(0, authz('www.example.jp', {}, { accountId: 'acct-b' })), 'authorization'],
    ['CP 3.2.2.4: reused from a validation of another name', withAuthz(0, authz('www.example.jp', {}, { fqdn: 'mail.example.jp' })), 'authorization'],
    ['CP 3.2.2.4: valid without any validated challenge', withAuthz(0, authz('www.example.jp', { validation: null })), 'authorization'],
    ['CP 3.2.2.4: a method this CA does not know', withAuthz(0, authz('www.example.jp', {}, { method: 'dns-01' })), 'dcv-method'],
    ['BR 3.2.2.4.2: a method prohibited since 2025-07-15', withAuthz(0, authz('www.example.jp', {}, { method: '3.2.2.4.2', dcvCorroboration: null })), 'dcv-method,reuse-period'],
    ['BR 3.2.2.4.18: web file never validates a wildcard', withAuthz(1, authz('*.example.jp', {}, { method: '3.2.2.4.18' })), 'dcv-method'],
    ['BR 4.2.1: a validation 201 days old is past the reuse period', withAuthz(0, authz('www.example.jp', {}, { validatedAt: daysAgo(201) })), 'reuse-period'],
    ['BR 3.2.2.9: a DNS change without a DCV corroboration round', withAuthz(0, authz('www.example.jp', {}, { dcvCorroboration: null })), 'mpic'],
    ['BR 3.2.2.9: a DNS change whose corroboration failed', withAuthz(0, authz('www.example.jp', {}, { dcvCorroboration: 'fail' })), 'mpic'],
    ['BR 3.2.2.8: CAA never checked for a name', issuable({ caa: [base.caa[1]!] }), 'caa'],
    ['BR 3.2.2.8 / 3.2.2.9: the latest CAA round failed', withCaa({ result: 'fail' }), 'caa'],
    ['BR 3.2.2.8: CAA checked 9 h ago (TTL below 8 h)', withCaa({ checkedAt: hoursAgo(9), validUntil: hoursAgo(1) }), 'caa'],
    ['BR 3.2.2.8: a round stored without its TTL is good for 8 h only', withCaa({ checkedAt: hoursAgo(9), validUntil: null }), 'caa'],
    ['CP 3.2.2.1: an OV order that pinned no vetted record (step 4 skipped by a forged workflow)', ov({ vettedRecord: null }), 'organization'],
    ['CP 3.2.2.1: an OV order that names no organization', ov({}, { organizationId: null }), 'organization'],
    ['CP 3.2.2.1: the pinned record is another organization\'s', ov({ vettedRecord: { ...record, organizationId: 'org-2' } }), 'organization'],
    ['BR 4.2.1: the pinned record ended (vetted 399 days ago)', ov({ vettedRecord: { ...record, validFrom: daysAgo(399), validUntil: daysAgo(1) } }), 'organization'],
    ['BR 4.2.1: the pinned record is not valid yet', ov({ vettedRecord: { ...record, validFrom: daysAgo(-1) } }), 'organization'],
    ['CP 1.3: an OV key signing for a DV order', issuable({ issuerCaId: 'ov' }), 'organization'],
    ['CP 1.3: an OV order under a DV key', ov({ issuerCaId: 'dv' }), 'organization'],
    ['BR 6.1.1.3: a blocklisted key', issuable({ blockedKey: { source: 'debian-openssl' } }), 'key'],
    ['CP 6.1.5: a key that is not RSA 2048', issuable({ key: { kind: 'other', algorithmOid: '1.2.840.10045.2.1' } }), 'key'],
    ['BR 4.3.1.2: no passing pkilint report for this TBS', issuable({ lint: { required: ['zlint', 'pkilint'], passed: ['zlint'] } }), 'lint'],
  ]);

  it('reports every refusal, naming the rule and the name', () => {
    const v = evaluateIssuanceGate(issuable({ account: { id: ACCOUNT, status: 'disabled' }, caa: [], blockedKey: { source: 'import' } }));
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.refusals.map((r) => [r.check, r.rule, r.identifier])).toEqual([
      ['account', 'CP 4.1', undefined],
      ['caa', 'BR 3.2.2.8', 'www.example.jp'],
      ['caa', 'BR 3.2.2.8', '*.example.jp'],
      ['key', 'BR 6.1.1.3', undefined],
    ]);
    expect(describeRefusals(v.refusals)).toContain('www.example.jp: CAA was never checked for this order (BR 3.2.2.8)');
  });
});
