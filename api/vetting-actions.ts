/**
 * What an operator does to a vetting (CP 3.2.2.1, 3.2.5; four-eyes), the one implementation behind the admin CLI
 * (`npm run admin -- vetting callback|approve|reject|verify-documents`) and the vetting-queue page:
 *   1. the operator must hold the action's role (vetting-agent: documents, call-back; approver: approve, reject);
 *   2. the input is checked, then stored in PostgreSQL as `submitted` evidence — personal data (who answered, the
 *      number called, a reason) never enters the workflow's history, only the evidence's id does;
 *   3. the workflow's Update decides (its validator: the vetting's state, four-eyes); a refusal marks the evidence
 *      `refused` and reaches the operator as the problem of its kind.
 */
import { z } from 'zod';
import type { Db } from '../db/client';
import type { Operator } from '../db/repositories/operators';
import { getVetting } from '../db/repositories/organizations';
import { addEvidence, settleEvidence } from '../db/repositories/vetted-organizations';
import { CaError, isCaError } from '../domain/errors';
import { callbackOutcomes, documentCheckOutcomes, roleFor, type VettingAction, type VettingStatus } from '../domain/vetting';
import type { CaWorkflows } from '../temporal/client';

export interface VettingActionDeps {
  readonly db: Db;
  readonly workflows: Pick<CaWorkflows, 'recordDocumentCheck' | 'recordCallback' | 'approveVetting' | 'rejectVetting'>;
  readonly clock: () => Date;
}

const text = (max: number) => z.string().trim().min(1).max(max);

/** CP 3.2.5: which reliable source the number came from, the number, who answered, the outcome. */
export const CallbackInput = z.object({
  source: text(300),
  phoneNumber: z.string().trim().regex(/^\+?[0-9][0-9 ()-]{7,20}$/, 'a telephone number'),
  answeredBy: text(200),
  outcome: z.enum(callbackOutcomes),
  note: z.string().trim().max(2000).optional(),
});
/** CP 3.2.2.1: the documents the agent checked against the organization, and the verdict. */
export const DocumentCheckInput = z.object({
  outcome: z.enum(documentCheckOutcomes),
  documentIds: z.array(z.string().uuid()).min(1),
  note: z.string().trim().max(2000).optional(),
});
export const RejectInput = z.object({ reason: text(2000) });

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new CaError('malformed', r.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
  return r.data;
}

export async function performVettingAction(
  deps: VettingActionDeps,
  operator: Pick<Operator, 'id' | 'name' | 'roles'>,
  vettingId: string,
  action: VettingAction,
  input: unknown = {},
): Promise<{ status: VettingStatus }> {
  if (!operator.roles.includes(roleFor[action])) throw new CaError('forbidden', `${action} needs the ${roleFor[action]} role; ${operator.name} has ${operator.roles.join(', ')}`);
  if (!(await getVetting(deps.db, vettingId))) throw new CaError('notFound', `no vetting ${vettingId}`);
  if (action === 'approve') return deps.workflows.approveVetting(vettingId, { operatorId: operator.id });

  const data: Record<string, unknown> =
    action === 'callback' ? parse(CallbackInput, input) : action === 'document-check' ? parse(DocumentCheckInput, input) : parse(RejectInput, input);
  const actor = `operator:${operator.name}`;
  const kind = action === 'reject' ? 'rejection' : action;
  const evidence = await addEvidence(deps.db, { vettingId, kind, operatorId: operator.id, data, now: deps.clock(), actor });
  const args = { operatorId: operator.id, evidenceId: evidence.id };
  try {
    if (action === 'callback') return await deps.workflows.recordCallback(vettingId, args);
    if (action === 'document-check') return await deps.workflows.recordDocumentCheck(vettingId, args);
    return await deps.workflows.rejectVetting(vettingId, args);
  } catch (err) {
    await settleEvidence(deps.db, { id: evidence.id, vettingId, status: 'refused', now: deps.clock(), actor, reason: isCaError(err) ? `${err.kind}: ${err.message}` : String(err) });
    throw err;
  }
}
