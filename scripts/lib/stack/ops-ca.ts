/**
 * The local operations CA of the stack: it certifies the Temporal cluster (frontend and internode) and every client of
 * it, nothing else. It is deliberately not the stand-in root or any key in the HSM: the CA's certificate-signing keys
 * sign subscriber certificates only (CP 6.1.7), and an operations credential must be replaceable without touching them.
 * Made with the openssl CLI; its key stays in the operator's root-only directory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OPERATOR, type StackLayout } from './layout';
import { ownedDir, ownedFile, run } from './host';

export interface OpsCa {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Leaf certificates live a week and are made afresh at every start (the CA itself lives ten years). */
const LEAF_DAYS = 7;

export async function ensureOpsCa(layout: StackLayout): Promise<OpsCa> {
  const operatorDir = await ownedDir(layout.secretsOf(OPERATOR), 'root', 0o700);
  await ownedDir(layout.pki, 'root', 0o755);
  const certFile = path.join(layout.pki, 'ops-ca.pem');
  const keyFile = path.join(operatorDir, 'ops-ca-key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '3650',
      '-subj', '/O=JPRS CA stack/CN=Operations CA (Temporal mTLS)',
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout', keyFile, '-out', certFile,
    ]);
  }
  return { certFile, keyFile };
}

export interface LeafRequest {
  readonly commonName: string;
  /** serverAuth (a listener), clientAuth (a client), or both (Temporal's internode services are both). */
  readonly usage: ReadonlyArray<'serverAuth' | 'clientAuth'>;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Written readable by this user only: `<dir>/<base>.pem` and `<dir>/<base>-key.pem`. */
  readonly owner: string;
  readonly dir: string;
  readonly base: string;
}

export interface Leaf {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A fresh P-256 key and a certificate for it from the operations CA, both files owned by `owner` (mode 0400). */
export async function issueLeaf(ca: OpsCa, req: LeafRequest): Promise<Leaf> {
  const work = mkdtempSync(path.join(tmpdir(), 'ops-ca-'));
  try {
    const key = path.join(work, 'key.pem');
    const csr = path.join(work, 'req.csr');
    const cert = path.join(work, 'cert.pem');
    const ext = path.join(work, 'ext.cnf');
    const san = [...(req.dnsNames ?? []).map((d) => `DNS:${d}`), ...(req.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
    writeFileSync(
      ext,
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        `extendedKeyUsage=${req.usage.join(',')}`,
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
        ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : []),
        '',
      ].join('\n'),
    );
    await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/O=JPRS CA stack/CN=${req.commonName}`, '-keyout', key, '-out', csr]);
    await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-CAserial', path.join(work, 'serial'), '-days', String(LEAF_DAYS), '-sha256', '-extfile', ext, '-out', cert]);
    const certFile = await ownedFile(path.join(req.dir, `${req.base}.pem`), readFileSync(cert), req.owner, 0o400);
    const keyFile = await ownedFile(path.join(req.dir, `${req.base}-key.pem`), readFileSync(key), req.owner, 0o400);
    return { certFile, keyFile };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
