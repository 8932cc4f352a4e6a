/**
 * The ACME listener's TLS server certificate in development. ACME runs over HTTPS only (RFC 8555 §6.1),
 * so `npm start` and the test setup make a dedicated local certificate — names `localhost`, `127.0.0.1`, `::1` —
 * signed by the local stand-in root in the HSM (the same root the issued certificates chain to, so one CA file,
 * `<data>/acme-tls/ca.pem`, is what certbot's REQUESTS_CA_BUNDLE and lego's LEGO_CA_CERTIFICATES trust).
 * Its key is an ECDSA P-256 key made here and kept in the data directory (mode 0600): it is the server's key, not a
 * subscriber's (CP 6.1.2 is about subscriber keys) and never leaves the machine. Reused until 14 days before expiry
 * or until the root changes. Production: the operator supplies CA_ACME_TLS_KEY / CA_ACME_TLS_CERT.
 */
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { appendAudit } from '../../db/repositories/audit';
import { getIssuer } from '../../db/repositories/issuers';
import { randomSerialHex } from '../../pki/ca-hierarchy';
import { buildTbs, signCertificate } from '../../pki/certificate';
import { authorityKeyIdentifier, basicConstraints, extKeyUsage, keyUsage, oids } from '../../pki/extensions';
import type { Hsm } from '../../pki/hsm';
import { buildName } from '../../pki/names';
import { pemEncode } from '../../pki/pem';

const VALIDITY_DAYS = 90;
const RENEW_BEFORE_DAYS = 14;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export interface AcmeTlsFiles {
  readonly keyFile: string;
  readonly certFile: string;
  /** The stand-in root, PEM: the trust anchor to hand to ACME clients. */
  readonly caFile: string;
}

export function acmeTlsCaFile(config: Pick<CaConfig, 'acme'>): string {
  return path.join(path.dirname(config.acme.tlsCertFile), 'ca.pem');
}

function sanExtension(dnsNames: readonly string[], ips: readonly string[]): pkijs.Extension {
  const ipBytes = (ip: string): Uint8Array =>
    ip.includes(':') ? new Uint8Array(16).map((_, i) => (ip === '::1' && i === 15 ? 1 : 0)) : new Uint8Array(ip.split('.').map(Number));
  const alt = new pkijs.AltName({
    altNames: [
      ...dnsNames.map((value) => new pkijs.GeneralName({ type: 2, value })),
      ...ips.map((ip) => new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: ipBytes(ip).slice().buffer }) })),
    ],
  });
  return new pkijs.Extension({ extnID: oids.id_ce_subjectAltName, critical: false, extnValue: alt.toSchema().toBER(false) });
}

export async function ensureAcmeTlsCertificate(deps: { config: CaConfig; db: Db; hsm: Hsm; log?: (s: string) => void }): Promise<AcmeTlsFiles> {
  const { config } = deps;
  const files = { keyFile: config.acme.tlsKeyFile, certFile: config.acme.tlsCertFile, caFile: acmeTlsCaFile(config) };
  const root = await getIssuer(deps.db, 'root');
  if (!root?.certDer) throw new Error('the ACME TLS certificate needs the stand-in root (development only)');
  const rootPem = pemEncode('CERTIFICATE', root.certDer);
  if (existsSync(files.keyFile) && existsSync(files.certFile)) {
    try {
      const cert = new X509Certificate(readFileSync(files.certFile));
      const fresh = Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_DAYS * 86_400_000;
      if (fresh && cert.verify(new X509Certificate(Buffer.from(root.certDer)).publicKey)) {
        writeFileSync(files.caFile, rootPem);
        return files;
      }
    } catch {
      // unreadable or foreign: make a new one below
    }
  }
  mkdirSync(path.dirname(files.keyFile), { recursive: true });
  mkdirSync(path.dirname(files.certFile), { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spkiDer = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const now = new Date();
  const tbs = buildTbs({
    serialHex: randomSerialHex(),
    issuerDer: root.subjectDer,
    subject: buildName([['commonName', 'localhost']]),
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + VALIDITY_DAYS * 86_400_000),
    spkiDer,
    extensions: [
      basicConstraints(false),
      keyUsage(['digitalSignature']),
      extKeyUsage([SERVER_AUTH]),
      sanExtension(['localhost'], ['127.0.0.1', '::1']),
      authorityKeyIdentifier(root.keyIdentifier),
    ],
  });
  const certDer = await signCertificate(tbs, deps.hsm, root.keyLabel);
  writeFileSync(files.keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(files.keyFile, 0o600);
  writeFileSync(files.certFile, pemEncode('CERTIFICATE', certDer));
  writeFileSync(files.caFile, rootPem);
  await appendAudit(deps.db, {
    actor: 'ca-init',
    event: 'acme.tls_certificate.signed',
    data: { issuer: 'root', names: ['localhost', '127.0.0.1', '::1'], notAfter: tbs.notAfter.value, purpose: 'development ACME listener' },
  });
  deps.log?.(`signed the development ACME TLS certificate (localhost, 127.0.0.1) under the stand-in root: ${files.certFile}`);
  return files;
}
