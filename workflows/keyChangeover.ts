/**
 * CA key changeover (CP 5.6: "generate a new CA key and certificate before the remaining validity of the CA
 * certificate becomes shorter than the maximum subscriber validity; then sign certificates and CRLs with the new
 * key"; rules in domain/key-changeover.ts).
 *
 * checkKeyChangeover — the daily Schedule `key-changeover-check` (worker/operator-schedules.ts): for every issuing CA
 *   whose key in use is due, starts `key-changeover-<ca>-<next generation>` (a second check joins the running one).
 * keyChangeover — one per CA and next key:
 *   1. the next key generated in the HSM and its CSR stored (signing queue), for the external root;
 *   2. a durable wait for the operator's Update `importCertificate` (verified before it is accepted), with reminders;
 *   3. the new key's first CRL, then at the stated switch issuance moves to the new key;
 *   4. the old key keeps signing CRLs and OCSP responses until its last certificate expired (a durable timer), then
 *      signs a last CRL (the expired entries appear once after expiry, CP 4.9.6) and is retired.
 */
import {
  condition,
  executeChild,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createKeyChangeoverActivities, createKeyChangeoverSigningActivities } from '../activities/key-changeover';
import { keyChangeoverWorkflowId } from '../domain/workflow-ids';
import { signingBatch, storage } from './activity-options';
import {
  importCertificateUpdate,
  keyChangeoverProgressQuery,
  type CrlSettings,
  type ImportCertificateResult,
  type KeyChangeoverCheckInput,
  type KeyChangeoverCheckResult,
  type KeyChangeoverInput,
  type KeyChangeoverProgress,
} from './operator-contracts';
import { startNoticeDelivery } from './notices';
import { publishCrl } from './publishCrl';
import { queryableProgress, setCaStatus } from './revocation-steps';

type MainActivities = ReturnType<typeof createKeyChangeoverActivities>;
type SigningActivities = ReturnType<typeof createKeyChangeoverSigningActivities>;

export async function checkKeyChangeover(input: KeyChangeoverCheckInput): Promise<KeyChangeoverCheckResult> {
  const main = proxyActivities<MainActivities>(storage);
  const checked = await main.changeoverCandidates({ leadDays: input.leadDays });
  const changeovers: Array<{ caId: string; workflowId: string; started: boolean }> = [];
  for (const c of checked.filter((x) => x.due || input.force?.includes(x.caId))) {
    const workflowId = keyChangeoverWorkflowId(c.caId, c.generation + 1);
    const args: KeyChangeoverInput = {
      caId: c.caId,
      currentIssuerId: c.issuerId,
      generation: c.generation + 1,
      mustSwitchBy: c.mustSwitchBy,
      reminderIntervalSeconds: input.reminderIntervalSeconds,
      signingTaskQueue: input.signingTaskQueue,
      crl: input.crl,
    };
    try {
      // The changeover outlives this check: it waits for people and for the old key's last certificate.
      await startChild(keyChangeover, {
        workflowId,
        args: [args],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      });
      changeovers.push({ caId: c.caId, workflowId, started: true });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      changeovers.push({ caId: c.caId, workflowId, started: false });
    }
  }
  return { checked, changeovers };
}

/** A CRL signed now under `issuerId` and checked as published (a publishCrl run in mode 'manual'). */
async function publishNow(workflowId: string, issuerId: string, signingTaskQueue: string, crl: CrlSettings): Promise<void> {
  await executeChild(publishCrl, { workflowId, args: [{ issuerId, signingTaskQueue, mode: 'manual', ...crl }] });
}

export async function keyChangeover(input: KeyChangeoverInput): Promise<KeyChangeoverProgress> {
  const main = proxyActivities<MainActivities>(storage);
  const signing = proxyActivities<SigningActivities>(signingBatch(input.signingTaskQueue));
  const base = `${keyChangeoverWorkflowId(input.caId, input.generation)}`;
  const progress = queryableProgress<KeyChangeoverProgress>(keyChangeoverProgressQuery, {
    caId: input.caId,
    currentIssuerId: input.currentIssuerId,
    nextIssuerId: null,
    phase: 'preparing',
    mustSwitchBy: input.mustSwitchBy,
    csrSha256: null,
    reminders: 0,
    switchAt: null,
    oldKeyNeededUntil: null,
    atRisk: false,
  });
  const phase = (p: KeyChangeoverProgress['phase']) => {
    progress.update({ phase: p });
    setCaStatus(`key-changeover-${p}`);
  };
  phase('preparing');

  // 1. The next key, in the HSM, with its CSR for the external root.
  const next = await signing.prepareNextIssuerKey({ caId: input.caId, generation: input.generation });
  progress.update({ nextIssuerId: next.issuerId, csrSha256: next.csrSha256 });

  // 2. The operator imports the root's certificate; the Update is answered once it verified and was stored.
  // A holder, not a `let`: the Update's handler sets it, and the loop below reads it after its waits.
  const received: { imported: ImportCertificateResult | null } = { imported: null };
  setHandler(
    importCertificateUpdate,
    async (request) => {
      const switchAt = request.switchAt ?? new Date().toISOString();
      const r = await main.importNextIssuerCertificate({
        caId: input.caId,
        issuerId: next.issuerId,
        certificateB64: request.certificateB64,
        ...(request.issuerCertificateB64 ? { issuerCertificateB64: request.issuerCertificateB64 } : {}),
        switchAt,
        mustSwitchBy: input.mustSwitchBy,
        operator: request.operator,
      });
      received.imported = { ...r, switchAt };
      return received.imported;
    },
    {
      validator: (request) => {
        if (progress.current.phase !== 'awaiting-certificate') throw new Error(`the changeover is ${progress.current.phase}: no certificate is awaited`);
        if (!/^[A-Za-z0-9+/]+={0,2}$/.test(request.certificateB64)) throw new Error('certificateB64 is the DER certificate in base64');
        if (request.switchAt !== undefined && Number.isNaN(Date.parse(request.switchAt))) throw new Error('switchAt is an ISO-8601 instant');
        if (!request.operator) throw new Error('the operator who imports is named');
      },
    },
  );
  phase('awaiting-certificate');
  const mustSwitchBy = new Date(input.mustSwitchBy).getTime();
  while (!(await condition(() => received.imported !== null, input.reminderIntervalSeconds * 1000))) {
    const reminders = progress.current.reminders + 1;
    // Less than a reminder interval before the latest switch: the operators must act now.
    progress.update({ reminders, atRisk: Date.now() + input.reminderIntervalSeconds * 1000 >= mustSwitchBy });
    if (progress.current.atRisk) log.error(`CA ${input.caId}: the changeover is at risk (switch by ${input.mustSwitchBy})`);
    const { noticeId } = await main.remindKeyChangeover({ caId: input.caId, issuerId: next.issuerId, reminder: reminders, mustSwitchBy: input.mustSwitchBy, csrSha256: next.csrSha256 });
    await startNoticeDelivery(noticeId);
  }
  const done = received.imported!;
  progress.update({ switchAt: done.switchAt });

  // 3. The CRL DP of the new key answers before its first certificate; the switch at the stated instant.
  await publishNow(`${base}-first-crl`, next.issuerId, input.signingTaskQueue, input.crl);
  phase('scheduled');
  const wait = new Date(done.switchAt).getTime() - Date.now();
  if (wait > 0) await sleep(wait);
  // The key issues from the stated instant (a late worker does not move the switch: reservations made under the old
  // key meanwhile stay valid, the old key is still within its CA certificate's usefulness).
  await main.activateIssuerKey({ issuerId: next.issuerId, at: done.switchAt });
  phase('switched');

  // 4. The old key signs CRLs and OCSP until its last certificate expired (orders reserved before the switch may
  // still sign under it: the latest notAfter is read again after each wait).
  phase('draining');
  for (;;) {
    const last = await main.lastCertificateExpiry({ issuerId: input.currentIssuerId });
    progress.update({ oldKeyNeededUntil: last });
    const ms = last === null ? 0 : new Date(last).getTime() + 1000 - Date.now();
    if (ms <= 0) break;
    await sleep(ms);
  }
  await publishNow(`${base}-last-crl-${input.currentIssuerId}`, input.currentIssuerId, input.signingTaskQueue, input.crl);
  await main.retireIssuerKey({ issuerId: input.currentIssuerId, at: new Date().toISOString() });
  phase('retired');
  return progress.current;
}
