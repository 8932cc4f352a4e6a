/**
 * `npm run admin -- revoke <serial> --reason <reason> [--operator <name>]`: the CA's operators revoke (CP 4.9.1:
 * the CA may revoke on its own; BR 4.9.1.1: within 24 h or 5 days by reason). The same rules and workflow as the
 * API (api/revocation.ts requestRevocation), with the operator as requester — the only one who may use
 * privilegeWithdrawn (BR 7.2.2).
 */
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { requestRevocation } from '../../api/revocation';
import { connectCaClient } from '../../temporal/connection';

export async function adminRevoke(
  config: CaConfig,
  db: Db,
  input: { serial: string; reason: string | undefined; operator: string },
): Promise<Awaited<ReturnType<typeof requestRevocation>>> {
  const temporal = await connectCaClient(config);
  try {
    return await requestRevocation(
      { db, workflows: temporal.workflows, config, clock: () => new Date() },
      { serial: input.serial, reason: input.reason, requester: { kind: 'operator', name: input.operator }, actor: `operator:${input.operator}` },
    );
  } finally {
    await temporal.close();
  }
}
