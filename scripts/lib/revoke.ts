/**
 * `npm run admin -- revoke <serial> --reason <reason> [--operator <name>]`: the CA's operators revoke (CP 4.9.1:
 * the CA may revoke on its own; BR 4.9.1.1: within 24 h or 5 days by reason). The same entry point, rules and
 * workflow as the REST API and ACME (api/revocation-requests.ts), with the operator as requester — the only one who
 * may use privilegeWithdrawn (BR 7.2.2).
 */
import { submitRevocation, type RevocationAccepted } from '../../api/revocation-requests';
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { connectCaClient } from '../../temporal/connection';

export async function adminRevoke(
  config: CaConfig,
  db: Db,
  input: { serial: string; reason: string | undefined; operator: string },
): Promise<RevocationAccepted> {
  const temporal = await connectCaClient(config);
  try {
    return await submitRevocation(
      { db, workflows: temporal.workflows, config, clock: () => new Date() },
      { target: { serial: input.serial }, reason: input.reason, requester: { kind: 'operator', name: input.operator }, actor: `operator:${input.operator}` },
    );
  } finally {
    await temporal.close();
  }
}
