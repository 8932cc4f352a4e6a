import { describe, expect, it } from 'vitest';
import { itGivesEach } from '../test/support/table';
import { checkCorporateNumber, corporateNumberCheckDigit } from './corporate-number';

describe('corporateNumberCheckDigit (OV-VETTING.md: 9 − Σ Pₙ·Qₙ mod 9)', () => {
  itGivesEach(corporateNumberCheckDigit, [
    ['OV-VETTING.md example 7000012050002: sum 11, 9 − 2 = 7', '000012050002', 7],
    ['all zeros: sum 0, check 9', '000000000000', 9],
    ['National Diet Library 1000011000005: sum 8 → 1', '000011000005', 1],
    ['sum a multiple of 9 gives 9, never 0', '000000000009', 9],
    ['even positions weigh 2: base ending 10 → sum 2 → 7', '000000000010', 7],
  ]);

  it('refuses a base that is not 12 ASCII digits', () => {
    expect(() => corporateNumberCheckDigit('12345')).toThrow(RangeError);
  });
});

describe('checkCorporateNumber (CP 3.2.2.1: the application names a valid corporate number)', () => {
  itGivesEach((s: string) => JSON.stringify(checkCorporateNumber(s)), [
    ['valid example', '7000012050002', JSON.stringify({ ok: true, number: '7000012050002' })],
    ['NFKC: full-width digits as typed in Japanese', '７００００１２０５０００２', JSON.stringify({ ok: true, number: '7000012050002' })],
    ['separators removed', '7-0000-1205-0002', JSON.stringify({ ok: true, number: '7000012050002' })],
    ['wrong check digit', '8000012050002', JSON.stringify({ ok: false, reason: 'check digit 8 is wrong: the base number 000012050002 gives 7' })],
    ['12 digits only', '000012050002', JSON.stringify({ ok: false, reason: 'a corporate number is 13 digits' })],
    ['letters', '700001205000A', JSON.stringify({ ok: false, reason: 'a corporate number is 13 digits' })],
  ]);
});
