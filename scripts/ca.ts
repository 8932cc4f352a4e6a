/**
 * CA hierarchy operations.
 *   npm run ca -- init                                  token + keys + (development) stand-in root and issuing CAs
 *   npm run ca -- csr --ca dv [--out file.csr]          PEM CSR of an issuing CA key (production path)
 *   npm run ca -- import --ca dv --cert file.pem [--issuer root.pem]   store the certificate the root issued
 *   npm run ca -- show                                  the issuers, their keys and certificates
 *   npm run ca -- key-ceremony --ca dv --operator <name> --witness <name> [--witness …] [--out transcript.txt]
 *                                                       CP 5.6: the CA's next key in the HSM, with a transcript to sign
 *   npm run ca -- changeover check | start --ca dv | status --ca dv | csr --ca dv [--out f] | import --ca dv --cert f [--issuer root.pem]
 *                [--switch-at ISO] [--operator name] | sign-dev --ca dv [--out f]     CP 5.6 (docs/OPERATIONS.md)
 * The database must be running and migrated (npm start does that); the HSM token is created if missing.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, type CaConfig, type IssuingCaId } from '../config/index';
import { createDb, type Db } from '../db/client';
import { keysOfCa, listIssuers } from '../db/repositories/issuers';
import { connectOperatorClient } from '../temporal/connection';
import { parseCertificate } from '../pki/certificate';
import { toHex } from '../pki/der';
import { openHsm, type Hsm } from '../pki/hsm';
import { nameFromDer, nameToString } from '../pki/names';
import { pemDecode, pemEncode } from '../pki/pem';
import { ensureCaHierarchy, exportIssuingCaCsr, importIssuingCaCertificate } from './lib/ca-hierarchy';
import { pendingNextKey, signNextKeyWithStandInRoot } from './lib/changeover';
import { keyCeremony } from './lib/key-ceremony';
import { ensureSoftHsmToken } from './lib/softhsm';

const usage = `usage: npm run ca -- init | csr --ca dv|ov [--out file] | import --ca dv|ov --cert file.pem [--issuer root.pem] | show | key-ceremony --ca dv|ov --operator N --witness N… | changeover check|status|csr|import|sign-dev`;

function readCert(file: string): Uint8Array {
  const raw = fs.readFileSync(file);
  return raw[0] === 0x30 ? new Uint8Array(raw) : pemDecode(raw.toString('latin1'), ['CERTIFICATE']).der;
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ca: { type: 'string' }, out: { type: 'string' }, cert: { type: 'string' }, issuer: { type: 'string' },
      operator: { type: 'string' }, witness: { type: 'string', multiple: true }, 'switch-at': { type: 'string' }, generation: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (!command || !['init', 'csr', 'import', 'show', 'key-ceremony', 'changeover'].includes(command)) throw new Error(usage);
  const ca = values.ca as IssuingCaId | undefined;
  if ((command === 'csr' || command === 'import' || command === 'key-ceremony') && ca !== 'dv' && ca !== 'ov') throw new Error(`--ca dv|ov is required\n${usage}`);
  const operator = values.operator ?? process.env.USER ?? 'operator';
  const writeOut = (content: string) => {
    if (values.out) {
      fs.writeFileSync(values.out, content);
      console.error(`written to ${values.out}`);
    } else process.stdout.write(content);
  };

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
      case 'key-ceremony': {
        const { transcript } = await keyCeremony(
          { db: handle.db, hsm, clock: () => new Date() },
          { caId: ca!, operator, witnesses: values.witness ?? [], ...(values.generation ? { generation: Number(values.generation) } : {}) },
        );
        writeOut(transcript);
        break;
      }
      case 'changeover':
        await changeoverCommand(positionals[1], { config, db: handle.db, hsm, operator, writeOut, values });
        break;
      case 'show':
        for (const row of await listIssuers(handle.db)) {
          const cert = row.certDer ? parseCertificate(row.certDer) : null;
          console.log(
            [
              `${row.id}: CA ${row.caId}, key generation ${row.generation} "${row.keyLabel}" (in HSM: ${await hsm.hasKeyPair(row.keyLabel)})` +
                `${row.activeFrom ? `, issuing from ${row.activeFrom.toISOString()}` : ''}${row.retiredAt ? `, retired ${row.retiredAt.toISOString()}` : ''}`,
              `  subject        ${nameToString(nameFromDer(row.subjectDer))}`,
              `  keyIdentifier  ${toHex(row.keyIdentifier)}`,
              `  spki sha256    ${toHex(row.spkiSha256)}`,
              cert
                ? `  certificate    serial ${toHex(new Uint8Array(cert.serialNumber.valueBlock.valueHexView))}, ${cert.notBefore.value.toISOString()} .. ${cert.notAfter.value.toISOString()}, issuer ${nameToString(cert.issuer)}`
                : `  certificate    none${row.csrDer ? ` (CSR awaiting the root: npm run ca -- ${row.generation > 1 ? 'changeover csr' : 'csr'} --ca ${row.caId})` : ''}`,
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

/** `changeover check|status|csr|import|sign-dev` (CP 5.6): the operator's side of the keyChangeover workflow. */
async function changeoverCommand(
  sub: string | undefined,
  o: { config: CaConfig; db: Db; hsm: Hsm; operator: string; writeOut: (s: string) => void; values: { ca?: string; cert?: string; issuer?: string; 'switch-at'?: string; generation?: string } },
): Promise<void> {
  const caId = o.values.ca;
  const needCa = () => {
    if (caId !== 'dv' && caId !== 'ov') throw new Error('--ca dv|ov is required');
    return caId;
  };
  if (sub === 'csr') return o.writeOut(pemEncode('CERTIFICATE REQUEST', (await pendingNextKey(o.db, needCa())).csrDer!));
  if (sub === 'sign-dev') return o.writeOut(pemEncode('CERTIFICATE', await signNextKeyWithStandInRoot({ db: o.db, hsm: o.hsm, config: o.config, clock: () => new Date() }, needCa())));
  const temporal = await connectOperatorClient(o.config);
  try {
    if (sub === 'check') console.log(JSON.stringify(await temporal.operator.checkKeyChangeover(), null, 2));
    else if (sub === 'start') console.log(JSON.stringify(await temporal.operator.checkKeyChangeover([needCa()]), null, 2));
    else if (sub === 'status' || sub === 'import') {
      const generation = o.values.generation ? Number(o.values.generation) : (await pendingOrNewest(o.db, needCa())).generation;
      if (sub === 'status') console.log(JSON.stringify(await temporal.operator.keyChangeoverProgress(needCa(), generation), null, 2));
      else {
        if (!o.values.cert) throw new Error('--cert <file> is required');
        const b64 = (file: string) => Buffer.from(readCert(file)).toString('base64');
        const result = await temporal.operator.importKeyChangeoverCertificate(needCa(), generation, {
          certificateB64: b64(o.values.cert),
          ...(o.values.issuer ? { issuerCertificateB64: b64(o.values.issuer) } : {}),
          ...(o.values['switch-at'] ? { switchAt: o.values['switch-at'] } : {}),
          operator: o.operator,
        });
        console.log(JSON.stringify(result, null, 2));
      }
    } else throw new Error('usage: npm run ca -- changeover check | start --ca dv | status --ca dv | csr --ca dv | import --ca dv --cert f | sign-dev --ca dv');
  } finally {
    await temporal.close();
  }
}

/** The changeover in progress is the newest key of the CA (pending or switched to). */
async function pendingOrNewest(db: Db, caId: string) {
  const newest = (await keysOfCa(db, caId)).at(-1);
  if (!newest || newest.generation === 1) throw new Error(`CA ${caId} has no changeover (only its first key)`);
  return newest;
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
