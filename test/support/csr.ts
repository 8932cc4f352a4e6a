/** CSRs made by OpenSSL (an independent tool), as an applicant would: `openssl req -newkey ...`. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type KeySpec = 'rsa2048' | 'rsa4096' | 'rsa1024' | 'ec256';

const keyArgs: Record<KeySpec, string[]> = {
  rsa2048: ['-newkey', 'rsa:2048'],
  rsa4096: ['-newkey', 'rsa:4096'],
  rsa1024: ['-newkey', 'rsa:1024'],
  ec256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
};

export interface TestCsr {
  readonly pem: string;
  readonly der: Uint8Array;
  readonly keyPem: string;
}

export function makeCsr(opts: { names: string[]; cn?: string | null; key?: KeySpec; keyPem?: string }): TestCsr {
  const dir = mkdtempSync(path.join(tmpdir(), 'csr-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const args = ['req', '-new', '-nodes', '-sha256', '-out', path.join(dir, 'req.pem')];
    if (opts.keyPem) {
      writeFileSync(keyFile, opts.keyPem);
      args.push('-key', keyFile);
    } else {
      args.push(...keyArgs[opts.key ?? 'rsa2048'], '-keyout', keyFile);
    }
    const cn = opts.cn === undefined ? opts.names[0] : opts.cn;
    args.push('-subj', cn ? `/CN=${cn}` : '/');
    if (opts.names.length > 0) args.push('-addext', `subjectAltName=${opts.names.map((n) => `DNS:${n}`).join(',')}`);
    execFileSync('openssl', args, { stdio: 'pipe' });
    const pem = readFileSync(path.join(dir, 'req.pem'), 'utf8');
    const der = new Uint8Array(execFileSync('openssl', ['req', '-in', path.join(dir, 'req.pem'), '-outform', 'DER']));
    return { pem, der, keyPem: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same CSR with one bit of its signature flipped: it parses, but proof of possession fails (CP 3.2.1). */
export function withBrokenSignature(der: Uint8Array): Uint8Array {
  const copy = new Uint8Array(der);
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0x01;
  return copy;
}

export function toPemString(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
