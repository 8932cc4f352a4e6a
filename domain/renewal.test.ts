import { describe, expect, it } from 'vitest';
import { itGivesEach } from '../test/support/table';
import { classifyRenewal, type CertificateSubject } from './renewal';

const before: CertificateSubject = { dnsNames: ['www.example.jp', 'example.jp'], spkiSha256Hex: 'aa'.repeat(32) };
const kindOf = (next: CertificateSubject) => {
  const r = classifyRenewal(before, next);
  return r.ok ? r.kind : `refused (${r.rule})`;
};

describe('what a new application for an existing certificate is (CP 4.6–4.8)', () => {
  itGivesEach(kindOf, [
    ['CP 4.6 renewal: the same names and the same key', { dnsNames: ['www.example.jp', 'example.jp'], spkiSha256Hex: 'aa'.repeat(32) }, 'renewal'],
    ['CP 4.6 renewal: names compared without case, key hex without case', { dnsNames: ['WWW.example.jp', 'example.JP'], spkiSha256Hex: 'AA'.repeat(32) }, 'renewal'],
    ['CP 4.7 re-key: the same names, a new key', { dnsNames: ['www.example.jp', 'example.jp'], spkiSha256Hex: 'bb'.repeat(32) }, 'rekey'],
    ['CP 4.8 modification: a name added, the CN kept', { dnsNames: ['www.example.jp', 'example.jp', 'shop.example.jp'], spkiSha256Hex: 'aa'.repeat(32) }, 'modification'],
    ['CP 4.8 modification: a name removed, with a new key', { dnsNames: ['www.example.jp'], spkiSha256Hex: 'bb'.repeat(32) }, 'modification'],
    ['CP 4.8: a new CN is not a modification but a new application', { dnsNames: ['example.jp', 'www.example.jp'], spkiSha256Hex: 'aa'.repeat(32) }, 'refused (CP 4.8)'],
  ]);

  it('names what a modification adds and removes', () => {
    expect(classifyRenewal(before, { dnsNames: ['www.example.jp', 'shop.example.jp'], spkiSha256Hex: 'aa'.repeat(32) })).toEqual({
      ok: true,
      kind: 'modification',
      addedNames: ['shop.example.jp'],
      removedNames: ['example.jp'],
    });
  });
});
