/**
 * Helpers shared by the pki unit tests: temporary files, the openssl CLI as the independent DER checker
 * (docs/ARCHITECTURE.md convention 12) and an in-memory CA hierarchy. Not imported by production code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildIssuingCaTbs, buildStandInRootTbs } from './ca-hierarchy';
import { keyIdentifierOf, signCertificate } from './certificate';
import { nameToDer } from './names';
import type { Signer } from './signer';

export function tempDir(prefix = 'pki-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** Runs openssl; returns stdout+stderr and the exit status (never throws on a non-zero status). */
export function openssl(args: readonly string[], input?: string | Uint8Array): { status: number; out: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'buffer' });
  return { status: r.status ?? -1, out: Buffer.concat([r.stdout ?? Buffer.alloc(0), r.stderr ?? Buffer.alloc(0)]).toString('utf8') };
}

/**
 * The timeout of a unit test that runs the external linters: pkilint is a Python program that takes seconds to start,
 * and zlint a Go binary; on a loaded 2-core CI machine one run alone can pass vitest's 5 s default.
 */
export const linterTestTimeoutMs = 60_000;

/** pkilint's CA/B Forum linter on a PEM certificate of `type` (e.g. OCSP-RESPONDER): its findings of severity ERROR. */
export function pkilintCabfErrors(pemFile: string, type: string): string {
  const r = spawnSync('lint_cabf_serverauth_cert', ['lint', '-t', type, '-s', 'ERROR', pemFile], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim();
}

/** zlint on a PEM certificate: the lints that report an error, a fatal or a warning (`name: result`). */
export function zlintProblems(pemFile: string): string[] {
  const r = spawnSync('zlint', ['-pretty', pemFile], { encoding: 'utf8' });
  const results = JSON.parse(r.stdout) as Record<string, { result: string }>;
  return Object.entries(results).filter(([, v]) => ['error', 'fatal', 'warn'].includes(v.result)).map(([k, v]) => `${k}: ${v.result}`);
}

export function opensslOk(args: readonly string[], input?: string | Uint8Array): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * The stand-in root and the DV issuing CA (CP 7.1.2) it signs, with the keys 'root' and 'dv' of `signer`: the
 * hierarchy the tests of what the DV CA signs (SCTs, OCSP responses) verify against.
 */
export async function signTestHierarchy(signer: Signer, validity: { notBefore: Date; rootNotAfter: Date; dvNotAfter: Date }) {
  const rootSpki = await signer.publicKeySpki('root');
  const rootTbs = buildStandInRootTbs({ notBefore: validity.notBefore, notAfter: validity.rootNotAfter, spkiDer: rootSpki });
  const rootDer = await signCertificate(rootTbs, signer, 'root');
  const dvSpki = await signer.publicKeySpki('dv');
  const dvTbs = buildIssuingCaTbs({
    kind: 'dv',
    issuer: { subjectDer: nameToDer(rootTbs.subject), keyIdentifier: keyIdentifierOf(rootSpki) },
    notBefore: validity.notBefore,
    notAfter: validity.dvNotAfter,
    spkiDer: dvSpki,
    urls: { crl: 'http://ca.example.test/repository/crl/root.crl', ocsp: 'http://ca.example.test/ocsp/root', caIssuers: 'http://ca.example.test/repository/ca/root.cer' },
    cpsUrl: 'http://ca.example.test/repository/',
  });
  const dvDer = await signCertificate(dvTbs, signer, 'root');
  return { rootDer, dvDer, dvSpki, dvSubjectDer: nameToDer(dvTbs.subject), dvKeyId: keyIdentifierOf(dvSpki) };
}
