/**
 * Comparing what an applicant wrote with what the National Tax Agency registry holds (CP 3.2.2.1, OV-VETTING.md):
 * registry names use full-width characters, company-kind words stand before the name (前株, 株式会社ＡＢＣ) or after
 * it (後株, ＡＢＣ株式会社), and applicants abbreviate them (（株）, ㈱). These functions give comparison keys only:
 * the certificate's O is always the registered form itself, never a normalised one. Pure.
 */

/** Legal-form words and the abbreviations people write for them, as they look after NFKC (㈱ and （株） become (株)). */
export const legalFormWords: ReadonlyArray<{ readonly word: string; readonly abbreviations: readonly string[] }> = [
  { word: '株式会社', abbreviations: ['(株)'] },
  { word: '有限会社', abbreviations: ['(有)'] },
  { word: '合同会社', abbreviations: ['(同)'] },
  { word: '合名会社', abbreviations: ['(名)'] },
  { word: '合資会社', abbreviations: ['(資)'] },
  { word: '一般社団法人', abbreviations: ['(一社)', '(社)'] },
  { word: '一般財団法人', abbreviations: ['(一財)', '(財)'] },
  { word: '特定非営利活動法人', abbreviations: ['(特非)', 'NPO法人'] },
];

/** Hyphen-like characters NFKC leaves apart (U+2010–2015, U+2212 minus); the katakana prolonged mark ー is not one. */
const dashes = /[\u2010-\u2015\u2212\uFE63\uFF0D]/g;

/** NFKC, no white space (registry data separates words with U+3000, applicants with spaces or nothing), one dash. */
function basic(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, '').replace(dashes, '-');
}

export interface NormalizedOrganizationName {
  /** The legal-form word, written out (株式会社), or null when the name carries none. */
  readonly legalForm: string | null;
  /** 前株 ('before') or 後株 ('after'): part of the registered trade name, so it must agree too. */
  readonly position: 'before' | 'after' | null;
  /** The rest of the name, NFKC, without spaces, Latin letters upper-cased. */
  readonly body: string;
  /** What two names are compared by. */
  readonly key: string;
}

/** A name reduced to its comparison key (see the module comment); 株式会社/（株）/㈱ are one form, 前株 ≠ 後株. */
export function normalizeOrganizationName(name: string): NormalizedOrganizationName {
  let s = basic(name).toUpperCase();
  for (const { word, abbreviations } of legalFormWords) {
    for (const abbreviation of abbreviations) s = s.split(abbreviation.toUpperCase()).join(word);
  }
  for (const { word } of legalFormWords) {
    if (s.startsWith(word) && s.length > word.length) return finish(word, 'before', s.slice(word.length));
    if (s.endsWith(word) && s.length > word.length) return finish(word, 'after', s.slice(0, -word.length));
  }
  return finish(null, null, s);
}

function finish(legalForm: string | null, position: 'before' | 'after' | null, body: string): NormalizedOrganizationName {
  const key = position === 'before' ? `${legalForm}${body}` : position === 'after' ? `${body}${legalForm}` : body;
  return { legalForm, position, body, key };
}

export function sameOrganizationName(a: string, b: string): boolean {
  return normalizeOrganizationName(a).key === normalizeOrganizationName(b).key;
}

/**
 * An address part (city, or the street part 丁目番地等) reduced to a comparison key: NFKC, no spaces, one dash, and
 * the block-number words written the way the registry abbreviates them (1丁目10番1号 → 1-10-1, 10番地の2 → 10-2).
 */
export function normalizeAddress(address: string): string {
  return basic(address)
    .replace(/([0-9]+)丁目/g, '$1-')
    .replace(/([0-9]+)番地?の?/g, '$1-')
    .replace(/([0-9]+)号/g, '$1')
    .replace(/([0-9]+)の([0-9]+)/g, '$1-$2')
    .replace(/-+/g, '-')
    .replace(/-$/, '');
}

export function sameAddress(a: string, b: string): boolean {
  return normalizeAddress(a) === normalizeAddress(b);
}
