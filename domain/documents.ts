/**
 * The documents an applicant uploads for a vetting agent when the registry cannot confirm the organization
 * (CP 3.2.2.1: official documents, e.g. 登記事項証明書): PDF, PNG or JPEG, at most 5 MB. The type is decided by the
 * content's signature, never by the file name or the declared Content-Type, so what the agent's browser opens is
 * what was checked. Pure.
 */

export const maxDocumentBytes = 5 * 1024 * 1024;

export const documentTypes = ['application/pdf', 'image/png', 'image/jpeg'] as const;
export type DocumentType = (typeof documentTypes)[number];

/** The leading bytes of each type: PDF "%PDF-" (ISO 32000-1 §7.5.2), PNG's 8-byte signature (RFC 2083 §3.1), JPEG SOI + a marker. */
const signatures: ReadonlyArray<{ type: DocumentType; bytes: readonly number[] }> = [
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
];

/** The document type of these bytes, or null when they are none of the accepted ones. */
export function sniffDocumentType(content: Uint8Array): DocumentType | null {
  const found = signatures.find((s) => s.bytes.length <= content.length && s.bytes.every((b, i) => content[i] === b));
  return found?.type ?? null;
}
