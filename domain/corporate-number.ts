/**
 * The corporate number (法人番号) the National Tax Agency assigns (行政手続における特定の個人を識別するための番号の
 * 利用等に関する法律 第39条; 法人番号の指定等に関する省令): 13 digits, the first a check digit over the 12-digit base
 * number. An OV application naming a corporate number (CP 3.2.2.1) is refused at once when the check digit is wrong:
 * a typo would otherwise only surface as "no registry match" days later. Pure.
 */

/** The formula of OV-VETTING.md: check = 9 − (Σ_{n=1..12} Pₙ·Qₙ mod 9), Pₙ the n-th digit from the right, Qₙ 1 for odd n, 2 for even n. */
export function corporateNumberCheckDigit(base12: string): number {
  if (!/^[0-9]{12}$/.test(base12)) throw new RangeError('the base number is 12 ASCII digits');
  let sum = 0;
  for (let n = 1; n <= 12; n++) {
    const p = base12.charCodeAt(12 - n) - 48;
    sum += p * (n % 2 === 1 ? 1 : 2);
  }
  return 9 - (sum % 9);
}

export type CorporateNumberCheck = { readonly ok: true; readonly number: string } | { readonly ok: false; readonly reason: string };

/**
 * An applicant's corporate number: full-width digits and separators (spaces, hyphens) as people write them are
 * accepted and removed (NFKC), then it must be 13 digits whose first is the check digit of the other 12.
 */
export function checkCorporateNumber(input: string): CorporateNumberCheck {
  const digits = input.normalize('NFKC').replace(/[\s-]/g, '');
  if (!/^[0-9]{13}$/.test(digits)) return { ok: false, reason: 'a corporate number is 13 digits' };
  const expected = corporateNumberCheckDigit(digits.slice(1));
  if (Number(digits[0]) !== expected) return { ok: false, reason: `check digit ${digits[0]} is wrong: the base number ${digits.slice(1)} gives ${expected}` };
  return { ok: true, number: digits };
}
