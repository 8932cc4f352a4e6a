/**
 * CA hierarchy operations.
 *   npm run ca -- init                                  token + keys + (development) stand-in root and issuing CAs
 *   npm run ca -- csr --ca dv [--out file.csr]          PEM CSR of an issuing CA key (production path)
 *   npm run ca -- import --ca dv --cert file.pem [--issuer root.pem]   store the certificate the root issued
 *   npm run ca -- show                                  the issuers, their keys and certificates
 * The database must be running and migrated (npm start does that); the HSM token is created if missing.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, type IssuingCaId } from '../config/index';
import { createDb } from '../db/client';
import { listIssuers } from '../db/repositories/issuers';
import { parseCertificate } from '../pki/certificate';
import { toHex } from '../pki/der';
import { openHsm } from '../pki/hsm';
import { nameFromDer, nameToString } from '../pki/names';
import { pemDecode, pemEncode } from '../pki/pem';
import { ensureCaHierarchy, exportIssuingCaCsr, importIssuingCaCertificate } from './lib/ca-hierarchy';
import { ensureSoftHsmToken } from './lib/softhsm';

const usage = `usage: npm run ca -- init | csr --ca dv|ov [--out file] | import --ca dv|ov --cert file.pem [--issuer root.pem] | show`;

function readCert(file: string): Uint8Array {
  const raw = fs.readFileSync(file);
  return raw[0] === 0x30 ? new Uint8Array(raw) : pemDecode(raw.toString('latin1'), ['CERTIFICATE']).der;
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ca: { type: 'string' }, out: { type: 'string' }, cert: { type: 'string' }, issuer: { type: 'string' } },
  });
  const command = positionals[0];
  if (!command || !['init', 'csr', 'import', 'show'].includes(command)) throw new Error(usage);
  const ca = values.ca as IssuingCaId | undefined;
  if ((command === 'csr' || command === 'import') && ca !== 'dv' && ca !== 'ov') throw new Error(`--ca dv|ov is required\n${usage}`);

  const config = loadConfig();
  const log = (s: string) => console.error(s);
  const token = await ensureSoftHsmToken(config);
  const handle = createDb(config.database.url, { max: 2 });
  const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: token.pin, sessions: 1 });
  const deps = { config, db: handle.db, hsm, log };
  try {
    switch (command) {
      case 'init':
        await ensureCaHierarchy(deps);
        log('CA hierarchy ready');
        break;
      case 'csr': {
        const pem = pemEncode('CERTIFICATE REQUEST', await exportIssuingCaCsr(deps, ca!));
        if (values.out) {
          fs.writeFileSync(values.out, pem);
          log(`CSR written to ${values.out}`);
        } else process.stdout.write(pem);
        break;
      }
      case 'import': {
        if (!values.cert) throw new Error(`--cert file is required\n${usage}`);
        await importIssuingCaCertificate(deps, ca!, readCert(values.cert), values.issuer ? { issuerCertDer: readCert(values.issuer) } : {});
        break;
      }
      case 'show':
        for (const row of await listIssuers(handle.db)) {
          const cert = row.certDer ? parseCertificate(row.certDer) : null;
          console.log(
            [
              `${row.id}: key "${row.keyLabel}" (in HSM: ${await hsm.hasKeyPair(row.keyLabel)})`,
              `  subject        ${nameToString(nameFromDer(row.subjectDer))}`,
              `  keyIdentifier  ${toHex(row.keyIdentifier)}`,
              `  spki sha256    ${toHex(row.spkiSha256)}`,
              cert
                ? `  certificate    serial ${toHex(new Uint8Array(cert.serialNumber.valueBlock.valueHexView))}, ${cert.notBefore.value.toISOString()} .. ${cert.notAfter.value.toISOString()}, issuer ${nameToString(cert.issuer)}`
                : `  certificate    none${row.csrDer ? ' (CSR awaiting the root: npm run ca -- csr --ca ' + row.id + ')' : ''}`,
            ].join('\n'),
          );
        }
        break;
    }
  } finally {
    await hsm.close();
    await handle.close();
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
