/**
 * The OV commands of `npm run admin` (scripts/admin.ts hands them over):
 *   registry import <file> [--progress-every N]     the NTA corporate-number CSV (full data or a daily diff), by COPY;
 *                                                    progress on stderr, the result as JSON on stdout
 *   operator create --name N --role vetting-agent|approver [--role ...]   prints the password once
 *   vetting list [--status S]                        the queue
 *   vetting show <vetting-id>                        organization, evidence, documents, vetted record
 *   vetting verify-documents <id> --operator N --outcome verified|insufficient --document <doc-id> [...] [--note T]
 *   vetting callback <id> --operator N --source S --phone P --answered-by A --outcome confirmed|not-confirmed [--note T]
 *   vetting approve <id> --operator N                 (a second person: four-eyes)
 *   vetting reject <id> --operator N --reason T
 * An operator authenticates with the password in CA_OPERATOR_PASSWORD (or --password-file); actions go through the
 * same code as the vetting-queue page (api/vetting-actions.ts) and the workflow's Updates.
 */
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performVettingAction } from '../../api/vetting-actions';
import { loadConfig } from '../../config';
import { createDb, type DbHandle } from '../../db/client';
import { authenticateOperator, createOperator, parseRoles } from '../../db/repositories/operators';
import { documentsOf, getOrganization, getVetting, listVettings } from '../../db/repositories/organizations';
import { importRegistryCsv } from '../../db/repositories/registry';
import { evidenceOf, vettedRecordOfVetting } from '../../db/repositories/vetted-organizations';
import { isCaError } from '../../domain/errors';
import { vettingStatuses, type VettingAction, type VettingStatus } from '../../domain/vetting';
import { connectCaClient } from '../../temporal/connection';

const groups = ['registry', 'operator', 'vetting'];
export const isOvAdminCommand = (group: string | undefined): boolean => group !== undefined && groups.includes(group);

const usage = `usage: npm run admin -- registry import <file> [--progress-every N]
  | operator create --name <name> --role vetting-agent|approver [--role ...]
  | vetting list [--status <status>] | vetting show <id>
  | vetting verify-documents <id> --operator <name> --outcome verified|insufficient --document <doc-id> [--note <text>]
  | vetting callback <id> --operator <name> --source <where the number comes from> --phone <number> --answered-by <who> --outcome confirmed|not-confirmed [--note <text>]
  | vetting approve <id> --operator <name> | vetting reject <id> --operator <name> --reason <text>
(operators authenticate with CA_OPERATOR_PASSWORD or --password-file)`;

export async function runOvAdmin(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      role: { type: 'string', multiple: true },
      status: { type: 'string' },
      operator: { type: 'string' },
      'password-file': { type: 'string' },
      source: { type: 'string' },
      phone: { type: 'string' },
      'answered-by': { type: 'string' },
      outcome: { type: 'string' },
      note: { type: 'string' },
      reason: { type: 'string' },
      document: { type: 'string', multiple: true },
      'progress-every': { type: 'string' },
    },
  });
  const [group, action, arg] = positionals;
  const config = loadConfig();
  const handle = createDb(config.database.url, { max: 2 });
  try {
    if (group === 'registry' && action === 'import' && arg) {
      const result = await importRegistryCsv(handle.db, {
        source: createReadStream(arg),
        fileName: path.basename(arg),
        actor: 'admin-cli',
        progressEveryRows: values['progress-every'] ? Number(values['progress-every']) : 100_000,
        onProgress: (p) => process.stderr.write(`[registry] ${p.phase}: ${p.rows} rows, ${(p.bytes / 1e6).toFixed(1)} MB\n`),
      });
      console.log(JSON.stringify(result, null, 2));
      return 0;
    }
    if (group === 'operator' && action === 'create') {
      if (!values.name) throw new Error('--name is required');
      const { operator, password } = await createOperator(handle.db, { name: values.name, roles: parseRoles(values.role ?? []), actor: 'admin-cli' });
      console.log(JSON.stringify({ id: operator.id, name: operator.name, roles: operator.roles, password }, null, 2));
      console.error('The password is shown once and stored only as a hash: keep it now.');
      return 0;
    }
    if (group === 'vetting' && action === 'list') {
      const statuses = values.status ? [values.status].filter((s): s is VettingStatus => (vettingStatuses as readonly string[]).includes(s)) : undefined;
      const rows = await listVettings(handle.db, statuses ? { statuses } : {});
      console.log(JSON.stringify(rows.map((r) => ({ id: r.vetting.id, status: r.vetting.status, legalName: r.legalName, corporateNumber: r.corporateNumber, createdAt: r.vetting.createdAt, expiresAt: r.vetting.expiresAt })), null, 2));
      return 0;
    }
    if (group === 'vetting' && action === 'show' && arg) return await show(handle, arg);
    const vettingActions: Record<string, VettingAction> = { 'verify-documents': 'document-check', callback: 'callback', approve: 'approve', reject: 'reject' };
    if (group === 'vetting' && action && vettingActions[action] && arg) {
      const operator = await authenticateOperator(handle.db, values.operator ?? '', operatorPassword(values['password-file']));
      if (!operator) throw new Error('unknown operator or wrong password (--operator, CA_OPERATOR_PASSWORD)');
      const input =
        action === 'callback'
          ? { source: values.source, phoneNumber: values.phone, answeredBy: values['answered-by'], outcome: values.outcome, note: values.note }
          : action === 'verify-documents'
            ? { outcome: values.outcome, documentIds: values.document ?? [], note: values.note }
            : { reason: values.reason };
      const temporal = await connectCaClient(config);
      try {
        const result = await performVettingAction({ db: handle.db, workflows: temporal.workflows, clock: () => new Date() }, operator, arg, vettingActions[action]!, input);
        console.log(JSON.stringify({ vettingId: arg, ...result }));
        return 0;
      } finally {
        await temporal.close();
      }
    }
    console.error(usage);
    return 2;
  } catch (err) {
    const cause = err instanceof Error && err.cause ? ` (${String(err.cause)})` : '';
    console.error(isCaError(err) ? `refused (${err.kind}): ${err.message}` : `${String(err instanceof Error ? err.message : err)}${cause}`);
    return 1;
  } finally {
    await handle.close();
  }
}

function operatorPassword(file: string | undefined): string {
  if (file) return readFileSync(file, 'utf8').trim();
  const fromEnv = process.env.CA_OPERATOR_PASSWORD;
  if (!fromEnv) throw new Error('set CA_OPERATOR_PASSWORD or --password-file');
  return fromEnv;
}

async function show(handle: DbHandle, id: string): Promise<number> {
  const vetting = await getVetting(handle.db, id);
  if (!vetting) {
    console.error(`no vetting ${id}`);
    return 1;
  }
  const [organization, evidence, documents, record] = await Promise.all([
    getOrganization(handle.db, vetting.organizationId),
    evidenceOf(handle.db, id),
    documentsOf(handle.db, id),
    vettedRecordOfVetting(handle.db, id),
  ]);
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  console.log(JSON.stringify({ vetting, organization, evidence, documents: documents.map((d) => ({ ...d, sha256: hex(d.sha256) })), vettedRecord: record }, null, 2));
  return 0;
}
