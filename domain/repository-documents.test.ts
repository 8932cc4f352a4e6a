import { describe, expect, it } from 'vitest';
import { itGivesEach } from '../test/support/table';
import { checkAcceptance, currentDocumentVersions, repositoryDocuments, type DocumentCatalog } from './repository-documents';

/** A catalog with a second CPS version taking effect on 2027-01-01 (CP 2.2: republished on every revision). */
const catalog: DocumentCatalog = [
  { id: 'terms', title: { ja: 't', en: 't' }, versions: [{ version: '1.0', effective: '2026-11-01T00:00:00Z', files: {}, changes: '' }] },
  { id: 'cp', title: { ja: 'c', en: 'c' }, versions: [{ version: '3.40', effective: '2026-11-01T00:00:00Z', files: {}, changes: '' }] },
  {
    id: 'cps',
    title: { ja: 's', en: 's' },
    versions: [
      { version: '1.0', effective: '2026-11-01T00:00:00Z', files: {}, changes: '' },
      { version: '1.1', effective: '2027-01-01T00:00:00Z', files: {}, changes: '' },
    ],
  },
];
const dec = new Date('2026-12-15T00:00:00Z');
const jan = new Date('2027-01-01T00:00:00Z');

describe('the versions in force (CP 2.2, 4.1.2)', () => {
  it('is the latest version whose effective instant has come', () => {
    expect(currentDocumentVersions(dec, catalog)).toEqual({ terms: '1.0', cp: '3.40', cps: '1.0' });
    expect(currentDocumentVersions(jan, catalog)).toEqual({ terms: '1.0', cp: '3.40', cps: '1.1' });
  });

  it('has nothing in force before a document’s first version', () => {
    expect(currentDocumentVersions(new Date('2026-10-31T23:59:59Z'), catalog)).toEqual({});
  });

  it('the published catalog has every document in force today, and versions are only appended (oldest first)', () => {
    const now = new Date();
    expect(Object.keys(currentDocumentVersions(now))).toEqual(['terms', 'cp', 'cps']);
    for (const d of repositoryDocuments) {
      const dates = d.versions.map((v) => Date.parse(v.effective));
      expect(dates).toEqual([...dates].sort((a, b) => a - b));
    }
  });
});

describe('CP 4.1.2: an application states acceptance of the terms, CP and CPS in force', () => {
  const ok = (stated: unknown, now: Date) => checkAcceptance(stated, now, catalog).ok;
  itGivesEach(([stated, now]: [unknown, Date]) => ok(stated, now), [
    ['the versions in force are accepted', [{ terms: '1.0', cp: '3.40', cps: '1.0' }, dec], true],
    ['no acceptance at all is refused', [undefined, dec], false],
    ['a missing document is refused', [{ terms: '1.0', cp: '3.40' }, dec], false],
    ['a superseded version is refused once the next is in force', [{ terms: '1.0', cp: '3.40', cps: '1.0' }, jan], false],
    ['a version not yet in force is refused', [{ terms: '1.0', cp: '3.40', cps: '1.1' }, dec], false],
    ['the new version is accepted from its effective instant', [{ terms: '1.0', cp: '3.40', cps: '1.1' }, jan], true],
  ]);

  it('the refusal names what to accept', () => {
    const r = checkAcceptance({ terms: '1.0', cp: '3.40', cps: '1.0' }, jan, catalog);
    expect(r).toMatchObject({ ok: false, rule: 'CP 4.1.2', current: { terms: '1.0', cp: '3.40', cps: '1.1' } });
    expect(r.ok ? '' : r.reason).toContain('cps 1.1');
  });
});
