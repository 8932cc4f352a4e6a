/**
 * `npm run ca -- changeover …` (CP 5.6; docs/OPERATIONS.md): the operator's side of a key changeover — run the check,
 * watch the workflow, export the next key's CSR for the external root, import the certificate the root returned (an
 * Update the workflow verifies before it accepts it), and, in development only, let the local stand-in root sign the
 * CSR so the whole flow runs on one machine.
 */
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { getIssuer, issuingKeyOf, keysOfCa } from '../../db/repositories/issuers';
import type { Issuer } from '../../db/repositories/types';
import { CaError } from '../../domain/errors';
import { buildIssuingCaTbs, signCertificate } from '../../pki/ca-hierarchy';
import { parseCsr } from '../../pki/csr';
import type { Hsm } from '../../pki/hsm';

/** The CA's next key: the newest key without a certificate yet (its CSR awaits the root). */
export async function pendingNextKey(db: Db, caId: string): Promise<Issuer> {
  const pending = (await keysOfCa(db, caId)).filter((k) => !k.certDer && k.csrDer).at(-1);
  if (!pending) throw new CaError('notFound', `CA ${caId} has no next key awaiting its certificate (npm run ca -- changeover check, or key-ceremony)`);
  return pending;
}

/**
 * Development only: the stand-in root signs the next key's CSR as the external root would (CP 7.1.2 profile, the same
 * builder `npm run ca -- init` uses), valid from now for `years`.
 */
export async function signNextKeyWithStandInRoot(deps: { db: Db; hsm: Hsm; config: CaConfig; clock: () => Date }, caId: string, years = 10): Promise<Uint8Array> {
  if (deps.config.environment === 'production') throw new Error('production: the external root signs the CSR (npm run ca -- changeover csr), never the stand-in');
  if (caId !== 'dv' && caId !== 'ov') throw new Error('--ca dv|ov');
  const next = await pendingNextKey(deps.db, caId);
  const current = await issuingKeyOf(deps.db, caId, deps.clock());
  const root = current.parentId ? await getIssuer(deps.db, current.parentId) : null;
  if (!root?.certDer) throw new Error(`CA ${caId} has no local (stand-in) root to sign with`);
  const now = deps.clock();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  const tbs = buildIssuingCaTbs({
    kind: caId,
    issuer: { subjectDer: root.subjectDer, keyIdentifier: root.keyIdentifier },
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    spkiDer: parseCsr(next.csrDer!).spkiDer,
    urls: deps.config.urls.root,
    cpsUrl: deps.config.cps.url,
  });
  return signCertificate(tbs, deps.hsm, root.keyLabel);
}
