/**
 * The operator's side of the production topology: the CA's namespace carries every search attribute the workflows set
 * (workflows/search-attributes.ts: orders, OV vettings, incidents); the workers have created their Temporal Schedules
 * (CRLs, OCSP refresh, audit checkpoints, the CA key changeover check, the self-audit); and the operator's CLI — the
 * ca_operator login, the operator's Temporal certificate — has the signing worker sign the audit chain's head now
 * (CP 5.4.3), then verifies the whole chain against the key's public half exported at the ceremony (no HSM needed).
 */
import { describe, expect, it } from 'vitest';
import { auditCheckpointScheduleId, crlScheduleId, keyChangeoverCheckScheduleId, ocspRefreshScheduleId, selfAuditScheduleId } from '../../domain/workflow-ids';
import { caSearchAttributes, indexedValueType } from '../../scripts/lib/temporal';
import { admin, useStack } from './stack-client';

const t = useStack();

describe('Temporal, as the workers and the stack set it up', () => {
  it('the namespace has every search attribute of the CA, with its type', async () => {
    const { customAttributes } = await t.c.temporal.connection.operatorService.listSearchAttributes({ namespace: t.c.state.namespace });
    const registered = Object.fromEntries(Object.keys(caSearchAttributes).map((name) => [name, customAttributes?.[name]]));
    expect(registered).toEqual(Object.fromEntries(Object.entries(caSearchAttributes).map(([name, type]) => [name, indexedValueType[type]])));
  });

  it('the Schedules exist: CRLs per issuing CA, OCSP refresh, audit checkpoints, key changeover check, self-audit', async () => {
    const ids: string[] = [];
    for await (const s of t.c.temporal.schedule.list()) ids.push(s.scheduleId);
    expect(ids).toEqual(
      expect.arrayContaining([crlScheduleId('dv'), crlScheduleId('ov'), ocspRefreshScheduleId, auditCheckpointScheduleId, keyChangeoverCheckScheduleId, selfAuditScheduleId]),
    );
  });
});

describe('the operator\'s CLI (`npm run admin` with the stack\'s operator environment)', () => {
  it('signs the audit chain\'s head through the signing worker, and verifies the chain with the exported public key', async () => {
    // An entry of its own first, so that the head is new and gets signed.
    const created = admin(t.c, ['account', 'create', '--name', `Topology audit ${t.c.name()}`]);
    expect(created.status, created.out).toBe(0);
    const checkpoint = admin(t.c, ['audit', 'checkpoint']);
    expect(checkpoint.status, checkpoint.out).toBe(0);
    const result = JSON.parse(checkpoint.stdout) as { signed: boolean; sequence: number };
    expect(result.signed).toBe(true);
    const [row] = await t.c.db.sql`select key_label from audit_checkpoints where sequence = ${result.sequence}`;
    expect(row).toEqual({ key_label: 'audit-checkpoint' });

    const verified = admin(t.c, ['audit', 'verify', '--public-key', t.c.state.auditPublicKeyFile]);
    expect(verified.status, verified.out).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
  });
});
