/**
 * Operator commands (run against the configured database; `npm start` must have initialized it):
 *   npm run admin -- account create --name "Example Corp" [--kind subscriber|provider]   prints the API key once
 *   npm run admin -- account create --name "Shop" --provider <provider-account-id>   a subscriber managed by that
 *                                        designated provider (CP 1.3, 3.4 (1)): the provider may relay its applications
 *   npm run admin -- account disable <account-id>
 *   npm run admin -- audit verify [--public-key <pem>]   checks the hash chain and every signed checkpoint (the
 *                                        audit key from the HSM, or its public key from a file: audit public-key)
 *   npm run admin -- audit checkpoint                       signs the chain head now (the signing worker, over Temporal)
 *   npm run admin -- audit public-key                       the audit checkpoint key (PEM), for auditors
 *   npm run admin -- revoke <serial> --reason <reason> [--operator <name>]   operator revocation (CP 4.9.1, 7.2.3)
 *   npm run admin -- eab create --account <account-id>    ACME external account binding key (RFC 8555 §7.3.4), shown once
 *   npm run admin -- eab list --account <account-id> | eab revoke <key-id> | acme-account revoke <acme-account-id>
 *   npm run admin -- blocklist import <file> [--source <name>]   weak/compromised keys (BR 6.1.1.3): SPKI SHA-256
 *                                        hex, Debian openssl-blacklist fingerprints, or PEM keys/certificates
 *   npm run admin -- registry | operator | vetting ...   OV: the NTA registry import, operator accounts and the
 *                                        vetting queue (scripts/lib/admin-ov.ts lists them)
 *   account create … [--email <address>] [--language ja|en]   where (and in which language) the notices go
 *   npm run admin -- notices failed | notices list --status pending|sent|failed   the notices outbox
 *   npm run admin -- archive keygen --out <file> | archive export --from <ISO> --to <ISO> --out <dir> [--key <file>]
 *                  [--audit-public-key <file>] | archive verify <dir> [--public-key <file>] [--audit-public-key <file>]
 *                                        the signed archive of CP 5.5.1 (scripts/lib/admin-lifecycle.ts)
 *   npm run admin -- incident start --title T [--reason R] [--cause C] [--rate N] [--detected-at ISO] <criteria>
 *                                        criteria: --issuer <key id> [--ca-key-compromise] | --issued-from/--issued-to ISO |
 *                                        --serials <file> | --spki-sha256 <hex> | --lint zlint:<lint>|pkilint:<code>
 *   npm run admin -- incident pause|resume <id> | rate <id> --rate N | status <id> | report <id> [--json] | serials <id>
 *   npm run admin -- self-audit run | list | show <id>                 BR 8.7 (docs/OPERATIONS.md)
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDb } from '../db/client';
import { createAccount, setAccountStatus } from '../db/repositories/accounts';
import { verifyAuditLog } from '../db/repositories/audit-checkpoints';
import { importBlockedKeys, parseBlocklist } from '../db/repositories/blocklist';
import { revokeAcmeAccount } from '../db/repositories/acme';
import { createEabKey, listEabKeys, revokeEabKey } from '../db/repositories/acme-eab';
import { readSecretKeyFile } from '../config/secret-files';
import { pemDecode, pemEncode } from '../pki/pem';
import { connectCaClient, connectOperatorClient } from '../temporal/connection';
import { runAuditCheckpoint } from '../temporal/client';
import { auditPublicKey } from './lib/audit-key';
import { archiveExport, archiveKeygen, archiveVerify, defaultArchiveKeyFile, noticesCommand } from './lib/admin-lifecycle';
import { getIncident } from '../db/repositories/incidents';
import { getSelfAudit, latestSelfAudits } from '../db/repositories/self-audits';
import { criteriaFromOptions, incidentSerialLines, incidentStatus, startIncident } from './lib/incidents';
import { adminRevoke } from './lib/revoke';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isOvAdminCommand, runOvAdmin } from './lib/admin-ov';

// OV (organization vetting) commands have options of their own.
if (isOvAdminCommand(process.argv[2])) process.exit(await runOvAdmin(process.argv.slice(2)));

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' }, kind: { type: 'string', default: 'subscriber' }, source: { type: 'string' }, reason: { type: 'string' }, operator: { type: 'string' },
    account: { type: 'string' }, provider: { type: 'string' }, email: { type: 'string' }, language: { type: 'string', default: 'ja' },
    status: { type: 'string' }, limit: { type: 'string', default: '100' }, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' },
    key: { type: 'string' }, 'public-key': { type: 'string' }, 'audit-public-key': { type: 'string' }, organization: { type: 'string' },
    // incidents
    title: { type: 'string' }, cause: { type: 'string' }, rate: { type: 'string' }, 'detected-at': { type: 'string' }, issuer: { type: 'string' }, 'ca-key-compromise': { type: 'boolean' },
    'issued-from': { type: 'string' }, 'issued-to': { type: 'string' }, serials: { type: 'string' }, 'spki-sha256': { type: 'string' }, lint: { type: 'string' }, json: { type: 'boolean' },
  },
});
const [group, action, arg] = positionals;
const config = loadConfig();
const handle = createDb(config.database.url, { max: 1 });
const operatorName = values.operator ?? process.env.USER ?? 'operator';
try {
  if (group === 'incident' || group === 'self-audit') {
    await operatorCommand(group, action, arg);
  } else if (group === 'account' && action === 'create') {
    if (!values.name) throw new Error('--name is required');
    if (values.kind !== 'subscriber' && values.kind !== 'provider') throw new Error('--kind must be subscriber or provider');
    if (values.language !== 'ja' && values.language !== 'en') throw new Error('--language must be ja or en');
    const { account, apiKey } = await createAccount(handle.db, { name: values.name, kind: values.kind, providerAccountId: values.provider, email: values.email ?? null, language: values.language });
    console.log(JSON.stringify({ id: account.id, name: account.name, kind: account.kind, providerAccountId: account.providerAccountId, email: account.email, language: account.language, apiKey }, null, 2));
    console.error('The API key is shown once and stored only as a hash: keep it now.');
  } else if (group === 'account' && action === 'disable' && arg) {
    // Its ACME accounts are revoked with it; its in-flight orders are refused by the signer (docs/SECURITY.md).
    const row = await setAccountStatus(handle.db, arg, 'disabled', { actor: 'admin-cli' });
    if (!row) throw new Error(`no account ${arg}`);
    console.log(`account ${arg} disabled`);
  } else if (group === 'audit' && action === 'verify') {
    const publicKeySpki = values['public-key'] ? pemDecode(readFileSync(values['public-key'], 'utf8'), ['PUBLIC KEY']).der : await auditPublicKey(config);
    const result = await verifyAuditLog(handle.db, { publicKeySpki });
    console.log(JSON.stringify(result));
    if (!result.ok) process.exitCode = 1;
  } else if (group === 'audit' && action === 'checkpoint') {
    const temporal = await connectCaClient(config);
    try {
      console.log(JSON.stringify(await runAuditCheckpoint(temporal.client, config)));
    } finally {
      await temporal.close();
    }
  } else if (group === 'audit' && action === 'public-key') {
    process.stdout.write(pemEncode('PUBLIC KEY', await auditPublicKey(config)));
  } else if (group === 'revoke' && action) {
    const result = await adminRevoke(config, handle.db, { serial: action, reason: values.reason, operator: operatorName });
    console.log(JSON.stringify(result, null, 2));
  } else if (group === 'eab' && action === 'create') {
    // An EAB key (RFC 8555 §7.3.4) for a CA account (a designated provider, CP 1.3): its ACME accounts are bound to it.
    if (!values.account) throw new Error('--account <account-id> is required');
    const encryptionKey = readSecretKeyFile(config.acme.eabEncryptionKeyFile, 'EAB keys');
    // --organization: OV over ACME — the bound ACME account may order profile `ov` while the organization is vetted.
    const key = await createEabKey(handle.db, { accountId: values.account, organizationId: values.organization, actor: 'admin-cli', encryptionKey });
    console.log(JSON.stringify({ accountId: values.account, keyId: key.keyId, hmacKey: key.hmacKey, organizationId: values.organization ?? null }, null, 2));
    console.error('The HMAC key is shown once: certbot --eab-kid/--eab-hmac-key, lego --eab --kid/--hmac. It binds one ACME account.');
  } else if (group === 'eab' && action === 'list') {
    if (!values.account) throw new Error('--account <account-id> is required');
    console.log(JSON.stringify(await listEabKeys(handle.db, values.account), null, 2));
  } else if (group === 'eab' && action === 'revoke' && arg) {
    console.log(JSON.stringify({ keyId: arg, revoked: await revokeEabKey(handle.db, arg, { actor: 'admin-cli', now: new Date() }) }));
  } else if (group === 'acme-account' && action === 'revoke' && arg) {
    const row = await revokeAcmeAccount(handle.db, arg, { actor: 'admin-cli' });
    console.log(JSON.stringify(row ? { id: row.id, status: row.status } : { id: arg, error: 'no such ACME account' }));
  } else if (group === 'blocklist' && action === 'import' && arg) {
    const entries = parseBlocklist(readFileSync(arg, 'utf8'));
    const result = await importBlockedKeys(handle.db, entries, { source: values.source ?? path.basename(arg), actor: 'admin-cli' });
    console.log(JSON.stringify(result));
  } else if (group === 'notices' && (action === 'failed' || action === 'list')) {
    console.log(JSON.stringify(await noticesCommand(handle.db, action === 'failed' ? 'failed' : (values.status ?? 'pending'), Number(values.limit)), null, 2));
  } else if (group === 'archive' && action === 'keygen') {
    console.log(JSON.stringify(archiveKeygen(values.out ?? defaultArchiveKeyFile(config)), null, 2));
    console.error('Keep the private key offline; publish the public key (or its SHA-256) so that archives can be verified.');
  } else if (group === 'archive' && action === 'export') {
    console.log(JSON.stringify(await archiveExport(config, handle.db, values), null, 2));
  } else if (group === 'archive' && action === 'verify' && arg) {
    const result = archiveVerify(arg, { publicKey: values['public-key'], auditPublicKey: values['audit-public-key'] });
    console.log(JSON.stringify(result, null, 2));
    if (!result.ok) process.exitCode = 1;
  } else {
    console.error('usage: npm run admin -- account create --name <name> [--kind subscriber|provider | --provider <provider-account-id>] | account disable <id> | audit verify [--public-key <pem>] | audit checkpoint | audit public-key | revoke <serial> --reason <reason> [--operator <name>] | eab create --account <id> [--organization <id>] | eab list --account <id> | eab revoke <key-id> | acme-account revoke <id> | blocklist import <file> [--source <name>] | notices failed | notices list --status <s> | archive keygen --out <file> | archive export --from <ISO> --to <ISO> --out <dir> [--key <file>] [--audit-public-key <file>] | archive verify <dir> [--public-key <file>] [--audit-public-key <file>] | incident start|pause|resume|rate|status|report|serials … | self-audit run|list|show <id>');
    process.exitCode = 2;
  }
} finally {
  await handle.close();
}

/** The operator's duties (docs/OPERATIONS.md): incidents (CP 4.9.1) and self-audits (BR 8.7), through their workflows. */
async function operatorCommand(group: string, action: string | undefined, id: string | undefined): Promise<void> {
  // Reports, serial lists and self-audit records are read from PostgreSQL; only the workflow commands need Temporal.
  let connected: Awaited<ReturnType<typeof connectOperatorClient>> | undefined;
  const operator = async () => (connected ??= await connectOperatorClient(config)).operator;
  const deps = async () => ({ db: handle.db, operator: await operator(), config, clock: () => new Date() });
  const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new Error(`${what} is required`);
    return v;
  };
  try {
    if (group === 'incident' && action === 'start') {
      print(
        await startIncident(await deps(), {
          title: need(values.title, '--title'),
          operator: operatorName,
          ...(values.reason ? { reason: values.reason } : {}),
          ...(values.cause ? { cause: values.cause } : {}),
          ...(values.rate ? { ratePerSecond: Number(values.rate) } : {}),
          ...(values['detected-at'] ? { detectedAt: values['detected-at'] } : {}),
          criteria: criteriaFromOptions(values),
        }),
      );
    } else if (group === 'incident' && action === 'pause') await (await operator()).pauseIncident(need(id, '<incident id>'), operatorName, values.reason);
    else if (group === 'incident' && action === 'resume') await (await operator()).resumeIncident(need(id, '<incident id>'), operatorName);
    else if (group === 'incident' && action === 'rate') await (await operator()).setIncidentRate(need(id, '<incident id>'), operatorName, Number(need(values.rate, '--rate')));
    else if (group === 'incident' && action === 'status') print(await incidentStatus(await deps(), need(id, '<incident id>')));
    else if (group === 'incident' && action === 'report') {
      const row = await getIncident(handle.db, need(id, '<incident id>'));
      if (!row?.report) throw new Error(`incident ${id} has no report yet (it is written when the incident completes)`);
      if (values.json) print(row.report);
      else console.log(String(row.report.markdown));
    } else if (group === 'incident' && action === 'serials') {
      for await (const line of incidentSerialLines(handle.db, need(id, '<incident id>'))) console.log(line);
    } else if (group === 'self-audit' && action === 'run') print(await (await operator()).runSelfAudit());
    else if (group === 'self-audit' && action === 'list') {
      print((await latestSelfAudits(handle.db, 20)).map(({ report: _r, ...a }) => a));
    } else if (group === 'self-audit' && action === 'show') print(await getSelfAudit(handle.db, need(id, '<audit id>')));
    else throw new Error('usage: npm run admin -- incident start|pause|resume|rate|status|report|serials … | self-audit run|list|show <id>');
  } finally {
    await connected?.close();
  }
}
