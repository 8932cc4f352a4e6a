import { describe } from 'vitest';
import { itGivesEach } from '../test/support/table';
import { normalizeAddress, normalizeOrganizationName, sameAddress, sameOrganizationName } from './organization-names';

describe('normalizeOrganizationName: the comparison key (OV-VETTING.md: NFKC and the legal-form words)', () => {
  itGivesEach((s: string) => normalizeOrganizationName(s).key, [
    ['registry form, full-width Latin and U+3000 space', '株式会社　ＡＢＣ', '株式会社ABC'],
    ['（株） is 株式会社', '（株）ABC', '株式会社ABC'],
    ['㈱ (U+3231) is 株式会社', '㈱ABC', '株式会社ABC'],
    ['後株 keeps its place', 'ＡＢＣ株式会社', 'ABC株式会社'],
    ['後株 abbreviated', 'ABC(株)', 'ABC株式会社'],
    ['Latin case is not significant', 'abc株式会社', 'ABC株式会社'],
    ['有限会社 and ㈲', '㈲テスト', '有限会社テスト'],
    ['一般社団法人 and (一社)', '(一社)日本テスト協会', '一般社団法人日本テスト協会'],
    ['no legal form', '日本テスト協会', '日本テスト協会'],
    ['half-width katakana becomes full-width', 'ｶﾌﾞｼｷｶﾞｲｼｬ', 'カブシキガイシャ'],
  ]);
  itGivesEach((s: string) => normalizeOrganizationName(s).position, [
    ['前株: the word before the name', '株式会社テスト', 'before'],
    ['後株: the word after the name', 'テスト株式会社', 'after'],
    ['the word alone is no position', '株式会社', null],
  ]);
});

describe('sameOrganizationName (CP 3.2.2.1: the applied name agrees with the registry)', () => {
  itGivesEach(([a, b]: [string, string]) => sameOrganizationName(a, b), [
    ['（株） against the registered 株式会社', ['（株）テスト', '株式会社テスト'], true],
    ['spacing differs', ['株式会社 テスト', '株式会社テスト'], true],
    ['前株 against 後株: another trade name', ['株式会社テスト', 'テスト株式会社'], false],
    ['another legal form', ['有限会社テスト', '株式会社テスト'], false],
    ['another body', ['株式会社テスト2', '株式会社テスト'], false],
  ]);
});

describe('normalizeAddress (the street part of the head-office address)', () => {
  itGivesEach(normalizeAddress, [
    ['registry form: full-width digits and dash', '永田町１丁目１０－１', '永田町1-10-1'],
    ['丁目・番・号 written out', '永田町1丁目10番1号', '永田町1-10-1'],
    ['番地の', '大手町10番地の2', '大手町10-2'],
    ['minus sign U+2212 as a dash', '永田町1−10−1', '永田町1-10-1'],
    ['spaces removed', '永田町 1-10-1', '永田町1-10-1'],
    ['katakana prolonged mark is not a dash', 'センター1', 'センター1'],
  ]);
  itGivesEach(([a, b]: [string, string]) => sameAddress(a, b), [
    ['same street, two spellings', ['千代田区', '千代田区'], true],
    ['different block', ['永田町1-10-1', '永田町1-10-2'], false],
  ]);
});
