/**
 * Operator commands (run against the configured database; `npm start` must have initialized it):
 *   npm run admin -- account create --name "Example Corp" [--kind subscriber|provider]   prints the API key once
 *   npm run admin -- account disable <account-id>
 *   npm run admin -- audit verify                                                          checks the hash chain
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDb } from '../db/client';
import { createAccount, setAccountStatus } from '../db/repositories/accounts';
import { verifyAuditChain } from '../db/repositories/audit';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, kind: { type: 'string', default: 'subscriber' } },
});
const [group, action, arg] = positionals;
const config = loadConfig();
const handle = createDb(config.database.url, { max: 1 });
try {
  if (group === 'account' && action === 'create') {
    if (!values.name) throw new Error('--name is required');
    if (values.kind !== 'subscriber' && values.kind !== 'provider') throw new Error('--kind must be subscriber or provider');
    const { account, apiKey } = await createAccount(handle.db, { name: values.name, kind: values.kind });
    console.log(JSON.stringify({ id: account.id, name: account.name, kind: account.kind, apiKey }, null, 2));
    console.error('The API key is shown once and stored only as a hash: keep it now.');
  } else if (group === 'account' && action === 'disable' && arg) {
    await setAccountStatus(handle.db, arg, 'disabled', { actor: 'admin-cli' });
    console.log(`account ${arg} disabled`);
  } else if (group === 'audit' && action === 'verify') {
    const result = await verifyAuditChain(handle.db);
    console.log(JSON.stringify(result));
    if (!result.ok) process.exitCode = 1;
  } else {
    console.error('usage: npm run admin -- account create --name <name> [--kind subscriber|provider] | account disable <id> | audit verify');
    process.exitCode = 2;
  }
} finally {
  await handle.close();
}
