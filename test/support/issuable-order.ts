/**
 * An order whose records prove everything the signer's issuance gate asks (domain/issuance-gate.ts), written straight
 * through the repositories: each name validated by DNS change (3.2.2.4.7) with a passing DCV corroboration round, and a
 * passing CAA round good for 8 hours; an OV order also names its organization and pins a vetted record of it (what
 * step 4 does). Tests then break one fact (with the owner role where the runtime role may not)
 * and start a forged workflow on it, as anything that reaches Temporal could.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { recordChallengeResult } from '../../db/repositories/challenges';
import { recordCorroboration } from '../../db/repositories/corroborations';
import { createOrder } from '../../db/repositories/orders';
import { pinVettedRecord } from '../../db/repositories/vetted-organizations';
import { dnsChangeRecordName } from '../../domain/dcv';
import { maxValidity, policyAt } from '../../domain/policy';
import { parseCsr } from '../../pki/csr';
import type { IssueCertificateInput, IssueCertificateResult } from '../../workflows/contracts';
import { makeCsr, type TestCsr } from './csr';

export interface SeededOrder {
  readonly orderId: string;
  readonly csr: TestCsr;
  readonly spkiSha256: Uint8Array;
  readonly authorizations: ReadonlyArray<{ id: string; challengeId: string; fqdn: string }>;
}

export interface SeedOrderOptions {
  readonly accountId: string;
  readonly names: readonly string[];
  readonly providerAccountId?: string;
  /** OV: the organization the order names and the vetted record it pins (test/support/ov-fixtures.ts). */
  readonly ov?: { readonly organizationId: string; readonly vettedRecordId: string };
}

/** Stores the order only: pending authorizations, nothing validated (what an applicant gets from POST /v1/orders). */
export async function seedPendingOrder(db: Db, opts: SeedOrderOptions): Promise<SeededOrder> {
  const now = new Date();
  const csr = makeCsr({ names: [...opts.names] });
  const parsed = parseCsr(csr.der);
  const expiresAt = new Date(now.getTime() + 25 * 86_400_000);
  const order = await createOrder(db, {
    accountId: opts.accountId,
    providerAccountId: opts.providerAccountId ?? null,
    profile: opts.ov ? 'ov' : 'dv',
    organizationId: opts.ov?.organizationId ?? null,
    csrDer: csr.der,
    spkiSha256: parsed.spkiSha256,
    dnsNames: opts.names,
    validitySeconds: maxValidity(policyAt(now), now),
    expiresAt,
    authorizations: opts.names.map((fqdn) => ({
      fqdn,
      wildcard: false,
      challenge: { method: '3.2.2.4.7', recordName: dnsChangeRecordName(fqdn), token: randomBytes(32).toString('base64url'), expiresAt },
    })),
    actor: 'test:seed',
  });
  if (opts.ov) await pinVettedRecord(db, { orderId: order.id, vettedOrganizationId: opts.ov.vettedRecordId, actor: 'test:seed' });
  return {
    orderId: order.id,
    csr,
    spkiSha256: parsed.spkiSha256,
    authorizations: order.authorizations.map((a) => ({ id: a.id, challengeId: a.challenges[0]!.id, fqdn: a.fqdn })),
  };
}

/** A pending order whose every name is then validated, corroborated (BR 3.2.2.9) and CAA-checked (BR 3.2.2.8) now. */
export async function seedIssuableOrder(db: Db, opts: SeedOrderOptions): Promise<SeededOrder> {
  const seeded = await seedPendingOrder(db, opts);
  const now = new Date();
  for (const a of seeded.authorizations) {
    await recordChallengeResult(db, {
      challengeId: a.challengeId,
      status: 'valid',
      evidence: [
        {
          fqdn: a.fqdn,
          authorizationDomainName: a.fqdn,
          method: '3.2.2.4.7 (dns-01)',
          perspective: 'primary',
          resolver: 'seed',
          query: `${dnsChangeRecordName(a.fqdn)} IN TXT`,
          rawAnswers: [],
          result: 'success',
          detail: 'seeded by the test',
        },
      ],
      actor: 'test:seed',
      now,
    });
    const round = { orderId: seeded.orderId, authorizationId: a.id, challengeId: a.challengeId, fqdn: a.fqdn, passed: true, evidence: [] };
    await recordCorroboration(db, { ...round, check: 'dcv', method: '3.2.2.4.7 (dns-01)', quorum: { seeded: true }, roundKey: `seed:dcv:${a.fqdn}` });
    await recordCorroboration(db, {
      ...round,
      check: 'caa',
      method: 'BR 3.2.2.8 (CAA)',
      quorum: { seeded: true },
      roundKey: `seed:caa:${a.fqdn}`,
      caaValidUntil: new Date(now.getTime() + 8 * 3_600_000).toISOString(),
    });
  }
  return seeded;
}

/**
 * Starts `issueCertificate` for an existing order with an input of the caller's making — the issue's
 * `temporal workflow start --type issueCertificate --input '{"orderId": …, "authorizations": []}'` — and waits for it.
 */
export async function runForgedIssuance(
  client: Client,
  config: Pick<CaConfig, 'temporal'>,
  input: Partial<IssueCertificateInput> & { orderId: string },
): Promise<IssueCertificateResult> {
  const full: IssueCertificateInput = {
    fqdns: [],
    authorizations: [],
    signingTaskQueue: config.temporal.signingTaskQueue,
    dcvCheckWindowSeconds: 60,
    ...input,
  };
  return client.workflow.execute('issueCertificate', {
    taskQueue: config.temporal.taskQueue,
    workflowId: `forged-${input.orderId}-${randomBytes(4).toString('hex')}`,
    args: [full],
  });
}
