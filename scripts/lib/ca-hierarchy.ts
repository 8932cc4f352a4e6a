/**
 * CA hierarchy initialization (idempotent; `npm start` and `npm run ca -- init` call it).
 *
 * Development: a self-signed *stand-in* for Security Communication RootCA2 (its subject says so) signs the two
 * issuing CAs, so the whole chain verifies locally. Production: the issuing CA keys are generated in the HSM and
 * their CSRs exported for the real root (CP 1.1: cross-certified by SECOM); the returned certificates are checked
 * and imported. Existing rows are never replaced by init: re-running reuses keys and certificates.
 */
import { createHash } from 'node:crypto';
import { auditCheckpointKeyLabel } from '../../activities/audit-checkpoint';
import type { CaConfig, IssuingCaId } from '../../config/index';
import type { Db } from '../../db/client';
import { getIssuer, upsertIssuer } from '../../db/repositories/issuers';
import type { Issuer } from '../../db/repositories/types';
import { CaError } from '../../domain/errors';
import {
  buildCaCsr,
  buildIssuingCaTbs,
  buildStandInRootTbs,
  checkImportedCaCertificate,
  issuingCaSubject,
  signCertificate,
} from '../../pki/ca-hierarchy';
import { keyIdentifierOf, parseCertificate } from '../../pki/certificate';
import type { Hsm } from '../../pki/hsm';
import { buildNameDer } from '../../pki/names';

export interface CaHierarchyDeps {
  readonly config: CaConfig;
  readonly db: Db;
  readonly hsm: Hsm;
  readonly log?: (s: string) => void;
}

export const caKeyLabels: Readonly<Record<'root' | IssuingCaId, string>> = { root: 'root-ca', dv: 'dv-g4', ov: 'ov-g4' };

const ROOT_YEARS = 20;
const ISSUING_CA_YEARS = 10;
const ACTOR = 'ca-init';

function addYears(d: Date, years: number): Date {
  const r = new Date(d);
  r.setUTCFullYear(r.getUTCFullYear() + years);
  return r;
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

/** Generates the key pair unless the token already holds it (a key survives a database reset). */
async function ensureKey(deps: CaHierarchyDeps, label: string): Promise<Uint8Array> {
  if (!(await deps.hsm.hasKeyPair(label))) {
    deps.log?.(`generating RSA-2048 key "${label}" in the HSM`);
    await deps.hsm.generateRsaKeyPair(label);
  }
  return deps.hsm.publicKeySpki(label);
}

/** A stored row must still match the key in the HSM; otherwise the token and the database belong to different CAs. */
async function checkRowKey(deps: CaHierarchyDeps, row: Issuer): Promise<void> {
  if (!(await deps.hsm.hasKeyPair(row.keyLabel))) {
    throw new CaError('internal', `issuer ${row.id}: key "${row.keyLabel}" is missing from the HSM token (token reset while the database was kept?)`);
  }
  const spki = await deps.hsm.publicKeySpki(row.keyLabel);
  if (Buffer.compare(Buffer.from(sha256(spki)), Buffer.from(row.spkiSha256)) !== 0) {
    throw new CaError('internal', `issuer ${row.id}: the HSM key "${row.keyLabel}" is not the key of the stored certificate`);
  }
}

async function ensureStandInRoot(deps: CaHierarchyDeps): Promise<Issuer> {
  const existing = await getIssuer(deps.db, 'root');
  if (existing) {
    await checkRowKey(deps, existing);
    return existing;
  }
  const label = caKeyLabels.root;
  const spkiDer = await ensureKey(deps, label);
  const now = new Date();
  const tbs = buildStandInRootTbs({ notBefore: now, notAfter: addYears(now, ROOT_YEARS), spkiDer });
  const certDer = await signCertificate(tbs, deps.hsm, label);
  deps.log?.('signed the local stand-in root (NOT Security Communication RootCA2; trusted by nobody)');
  return upsertIssuer(
    deps.db,
    {
      id: 'root',
      keyLabel: label,
      subjectDer: new Uint8Array(tbs.subject.toSchema().toBER(false)),
      spkiSha256: sha256(spkiDer),
      keyIdentifier: keyIdentifierOf(spkiDer),
      certDer,
      csrDer: null,
      parentId: null,
    },
    { actor: ACTOR },
  );
}

async function ensureIssuingCa(deps: CaHierarchyDeps, id: IssuingCaId, root: Issuer | null): Promise<Issuer> {
  const existing = await getIssuer(deps.db, id);
  if (existing) {
    await checkRowKey(deps, existing);
    return existing;
  }
  const label = caKeyLabels[id];
  const spkiDer = await ensureKey(deps, label);
  const subjectDer = buildNameDer(issuingCaSubject(id));
  const base = { id, keyLabel: label, subjectDer, spkiSha256: sha256(spkiDer), keyIdentifier: keyIdentifierOf(spkiDer) };

  if (!root?.certDer) {
    // Production: the external root signs; store the CSR and wait for importIssuingCaCertificate.
    const csrDer = await buildCaCsr(subjectDer, spkiDer, deps.hsm, label);
    deps.log?.(`issuing CA ${id}: key ready, CSR stored; export it with "npm run ca -- csr --ca ${id}"`);
    return upsertIssuer(deps.db, { ...base, certDer: null, csrDer, parentId: null }, { actor: ACTOR });
  }

  const rootCert = parseCertificate(root.certDer);
  const now = new Date();
  const rootNotAfter = rootCert.notAfter.value;
  const wanted = addYears(now, ISSUING_CA_YEARS);
  // RFC 5280 6.1.3 does not require nesting, but a subordinate outliving its issuer is never useful.
  const notAfter = wanted.getTime() < rootNotAfter.getTime() ? wanted : rootNotAfter;
  const tbs = buildIssuingCaTbs({
    kind: id,
    issuer: { subjectDer: root.subjectDer, keyIdentifier: root.keyIdentifier },
    notBefore: now,
    notAfter,
    spkiDer,
    urls: deps.config.urls.root,
    cpsUrl: deps.config.cps.url,
  });
  const certDer = await signCertificate(tbs, deps.hsm, root.keyLabel);
  deps.log?.(`signed issuing CA ${id} (${issuingCaSubject(id).find(([t]) => t === 'commonName')?.[1]}) under the stand-in root`);
  return upsertIssuer(deps.db, { ...base, certDer, csrDer: null, parentId: 'root' }, { actor: ACTOR });
}

export async function ensureCaHierarchy(deps: CaHierarchyDeps): Promise<void> {
  // The stand-in root exists only outside production (CP 1.1: the real root is SECOM's, not ours).
  const root = deps.config.environment === 'production' ? await getIssuer(deps.db, 'root') : await ensureStandInRoot(deps);
  for (const id of ['dv', 'ov'] as const) await ensureIssuingCa(deps, id, root);
  // The key that signs the audit chain's checkpoints (CP 5.4.3): used for nothing else, never leaves the token.
  await ensureKey(deps, auditCheckpointKeyLabel);
}

/** Production path, step 1: the CSR of issuing CA `id` (key generated if missing), stored on the row. */
export async function exportIssuingCaCsr(deps: CaHierarchyDeps, id: IssuingCaId): Promise<Uint8Array> {
  const label = caKeyLabels[id];
  const existing = await getIssuer(deps.db, id);
  if (existing) await checkRowKey(deps, existing);
  const spkiDer = await ensureKey(deps, existing?.keyLabel ?? label);
  const subjectDer = existing?.subjectDer ?? buildNameDer(issuingCaSubject(id));
  const csrDer = await buildCaCsr(subjectDer, spkiDer, deps.hsm, existing?.keyLabel ?? label);
  await upsertIssuer(
    deps.db,
    {
      id,
      keyLabel: existing?.keyLabel ?? label,
      subjectDer,
      spkiSha256: sha256(spkiDer),
      keyIdentifier: keyIdentifierOf(spkiDer),
      certDer: existing?.certDer ?? null,
      csrDer,
      parentId: existing?.parentId ?? null,
    },
    { actor: ACTOR },
  );
  return csrDer;
}

/**
 * Production path, step 2: store the certificate the external root issued for our CSR, after checking it carries
 * our key and subject and the CP 7.1.2 CA key usage. `issuerCertDer` (the root) lets the signature be checked too.
 */
export async function importIssuingCaCertificate(
  deps: CaHierarchyDeps,
  id: IssuingCaId,
  certDer: Uint8Array,
  opts: { issuerCertDer?: Uint8Array } = {},
): Promise<void> {
  const row = await getIssuer(deps.db, id);
  if (!row) throw new CaError('notFound', `issuing CA ${id} has no key yet: run "npm run ca -- csr --ca ${id}" first`);
  await checkRowKey(deps, row);
  const spkiDer = await deps.hsm.publicKeySpki(row.keyLabel);
  await checkImportedCaCertificate(certDer, row.subjectDer, spkiDer, opts.issuerCertDer ? { issuerCertDer: opts.issuerCertDer } : {});
  await upsertIssuer(deps.db, { ...row, certDer, parentId: opts.issuerCertDer ? row.parentId : null }, { actor: ACTOR });
  deps.log?.(`imported the certificate of issuing CA ${id}`);
}
