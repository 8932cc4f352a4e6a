/**
 * The documents the public repository publishes (CP 2.2: the CP and the CPS, republished on every revision) and the
 * subscriber terms, each with its version history and effective dates, and the rule of CP 4.1.2 / 9.6.3 that an
 * application states acceptance of the terms, the CP and the CPS in force when it is made. Old versions stay in the
 * catalog and in the repository (CP 5.5.1: archives are kept ≥ 7 years): a version is never edited, a revision is a
 * new row. Pure: the repository routes (api/repository.ts) read the files, the doors check acceptance with `now`.
 */
import type { AcceptanceChannel, Language } from './statuses';

export const documentIds = ['terms', 'cp', 'cps'] as const;
export type DocumentId = (typeof documentIds)[number];

export interface DocumentVersion {
  readonly version: string;
  /** ISO-8601: from this instant on the version governs new applications (until the next version's instant). */
  readonly effective: string;
  /**
   * The text per language, relative to docs/repository/: `.md` is served as text and rendered as HTML, `.txt` as
   * text only (the CP is JPRS's Japanese text, kept as published).
   */
  readonly files: Readonly<Partial<Record<Language, string>>>;
  /** The version history entry: what changed. */
  readonly changes: string;
}

export interface PublishedDocument {
  readonly id: DocumentId;
  readonly title: Readonly<Record<Language, string>>;
  /** Oldest first; never rewritten, only appended to. */
  readonly versions: readonly DocumentVersion[];
}

export type DocumentCatalog = readonly PublishedDocument[];

/** The versions in force, by document: what an application accepts (CP 4.1.2). */
export type DocumentVersions = Readonly<Record<DocumentId, string>>;

/** What an order stores: the versions accepted, when, and through which door (CP 4.1.2, 5.5.1 records). */
export interface AcceptanceRecord extends DocumentVersions {
  readonly acceptedAt: string;
  readonly channel: AcceptanceChannel;
}

/** This CA's repository. Adding a revision = adding its file under docs/repository/ and a row here. */
export const repositoryDocuments: DocumentCatalog = [
  {
    id: 'terms',
    title: { ja: 'サーバー証明書発行サービス ご利用条件', en: 'Server Certificate Service: Subscriber Terms' },
    versions: [
      {
        version: '1.0',
        effective: '2026-11-01T00:00:00Z',
        files: { ja: 'terms/1.0/ja.md', en: 'terms/1.0/en.md' },
        changes: 'First version: the subscriber agreement for the REST API and ACME doors.',
      },
    ],
  },
  {
    id: 'cp',
    title: { ja: 'JPRS サーバー証明書認証局証明書ポリシー', en: 'JPRS Server Certificate CA Certificate Policy' },
    versions: [
      {
        version: '3.40',
        effective: '2026-11-01T00:00:00Z',
        files: { ja: 'cp-ja.txt' },
        changes: 'JPRS CP v3.40 (Japanese text as published by JPRS), adopted by this CA; the BR overrides of POLICY-2026 apply (CP 1.1).',
      },
    ],
  },
  {
    id: 'cps',
    title: { ja: '認証局運用規程（CPS）', en: 'Certification Practice Statement (CPS)' },
    versions: [
      {
        version: '1.0',
        effective: '2026-11-01T00:00:00Z',
        files: { ja: 'cps/1.0/ja.md', en: 'cps/1.0/en.md' },
        changes: 'First version: the practices of this software, in the RFC 3647 outline; replaces the placeholder page.',
      },
    ],
  },
];

export function findDocument(id: string, catalog: DocumentCatalog = repositoryDocuments): PublishedDocument | undefined {
  return catalog.find((d) => d.id === id);
}

/** The version of `doc` in force at `now`: the latest whose effective instant has come; null before the first. */
export function currentVersion(doc: PublishedDocument, now: Date): DocumentVersion | null {
  let current: DocumentVersion | null = null;
  for (const v of doc.versions) if (Date.parse(v.effective) <= now.getTime()) current = v;
  return current;
}

/** The versions in force at `now`; a document with no version in force yet is absent (nothing can accept it). */
export function currentDocumentVersions(now: Date, catalog: DocumentCatalog = repositoryDocuments): Partial<DocumentVersions> {
  const out: Partial<Record<DocumentId, string>> = {};
  for (const doc of catalog) {
    const v = currentVersion(doc, now);
    if (v) out[doc.id] = v.version;
  }
  return out;
}

export type AcceptanceCheck =
  | { readonly ok: true; readonly accepted: DocumentVersions }
  | { readonly ok: false; readonly reason: string; readonly current: Partial<DocumentVersions>; readonly rule: string };

/**
 * CP 4.1.2: the application states acceptance of the terms, the CP and the CPS, each in the version in force at `now`.
 * `stated` is what the client sent (e.g. {"terms": "1.0", "cp": "3.40", "cps": "1.0"}); anything else — missing, a
 * superseded version, a version not yet in force — is refused, naming the versions to accept.
 */
export function checkAcceptance(stated: unknown, now: Date, catalog: DocumentCatalog = repositoryDocuments): AcceptanceCheck {
  const current = currentDocumentVersions(now, catalog);
  const rule = 'CP 4.1.2';
  const wanted = documentIds.map((id) => `${id} ${current[id] ?? '(none in force)'}`).join(', ');
  if (typeof stated !== 'object' || stated === null) {
    return { ok: false, reason: `state acceptance of the current terms, CP and CPS: ${wanted}`, current, rule };
  }
  const s = stated as Record<string, unknown>;
  const wrong = documentIds.filter((id) => current[id] === undefined || s[id] !== current[id]);
  if (wrong.length > 0) {
    const got = wrong.map((id) => `${id} ${typeof s[id] === 'string' ? s[id] : '(missing)'}`).join(', ');
    return { ok: false, reason: `the acceptance does not name the versions in force (${got}); accept ${wanted}`, current, rule };
  }
  return { ok: true, accepted: { terms: current.terms!, cp: current.cp!, cps: current.cps! } };
}

/** Whether `accepted` (an ACME account's agreement, an order's record) names exactly the versions in force at `now`. */
export function acceptsCurrentVersions(accepted: Partial<DocumentVersions> | null | undefined, now: Date, catalog: DocumentCatalog = repositoryDocuments): boolean {
  return checkAcceptance(accepted ?? null, now, catalog).ok;
}
