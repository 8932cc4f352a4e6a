/**
 * The signer's issuance gate against forged workflows: anything that reaches Temporal can start `issueCertificate`
 * with an input of its own making (an empty list of authorizations, another order's names, no organization). The real workers, PostgreSQL and SoftHSM2 run; every
 * signature the signing worker asks of the HSM is recorded. Each forged run must end with the order invalid
 * (`issuanceRefused`), no precertificate, no HSM signature over anything carrying the serial, and exactly one
 * `issuance.refused` audit entry — while an order whose records prove everything is issued through the same path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBlockedKeys } from '../../db/repositories/blocklist';
import { setAccountStatus } from '../../db/repositories/accounts';
import type { Signer } from '../../pki/signer';
import { makeCsr } from '../support/csr';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { createDb, type DbHandle } from '../../db/client';
import { ownerDatabaseUrl } from '../support/database';
import { runForgedIssuance, seedIssuableOrder, seedPendingOrder } from '../support/issuable-order';
import { createOrder } from '../support/orders';
import { seedVettedOrganization } from '../support/ov-fixtures';

/** Every message the HSM was asked to sign during the file. */
const signed: Uint8Array[] = [];
const recording = (hsm: Signer): Signer => ({
  publicKeySpki: (label) => hsm.publicKeySpki(label),
  signSha256Rsa: (label, data) => {
    signed.push(data.slice());
    return hsm.signSha256Rsa(label, data);
  },
});

let h: Harness;
/** The owner role: tests break facts the runtime role may not touch (evidence rows are append-only for it). */
let owner: DbHandle;
let accountA: { id: string; apiKey: string };
let accountB: { id: string; apiKey: string };

beforeAll(async () => {
  // Names under a public suffix so the linters (step 6) pass and the gate is what decides; CT is not under test.
  h = await startHarness({ env: { CA_DEV_ZONE: 'gate.example.jp', CA_CT_SUBMISSION: 'off' }, perspectives: false, wrapSigner: recording });
  owner = createDb(ownerDatabaseUrl(), { max: 2 });
  accountA = await h.newAccount('Applicant A');
  accountB = await h.newAccount('Applicant B');
});
afterAll(async () => {
  await owner?.close();
  await h?.stop();
});

const name = () => `${uniqueLabel()}.${h.config.dns.devZone}`;

/** The serial as it appears in DER (an INTEGER's content octets). */
const serialBytes = (serial: string) => Buffer.from(serial.length % 2 ? `0${serial}` : serial, 'hex');

async function outcome(orderId: string) {
  const [order] = await h.db.sql`select status, error from orders where id = ${orderId}`;
  const [cert] = await h.db.sql`select serial, status, precert_der is not null as precert, cert_der is not null as cert from certificates where order_id = ${orderId}`;
  const refusals = await h.db.sql`select data from audit_log where event = 'issuance.refused' and order_id = ${orderId}`;
  const serial = cert?.serial as string | undefined;
  const hsmSignaturesOverSerial = serial ? signed.filter((d) => Buffer.from(d).includes(serialBytes(serial))).length : 0;
  return {
    status: order!.status as string,
    errorType: (order!.error as { type?: string } | null)?.type ?? null,
    precertificate: Boolean(cert?.precert),
    certificate: Boolean(cert?.cert),
    hsmSignaturesOverSerial,
    refusals: refusals.map((r) => r.data as { step: string; refusals: Array<{ check: string; rule: string }> }),
  };
}

/** The gate refused: nothing signed, one audit entry naming `check`. */
async function expectRefused(orderId: string, check: string) {
  const o = await outcome(orderId);
  expect(o).toMatchObject({ status: 'invalid', errorType: 'issuanceRefused', precertificate: false, certificate: false, hsmSignaturesOverSerial: 0 });
  expect(o.refusals).toHaveLength(1);
  expect(o.refusals[0]!.step).toBe('precertificate');
  expect(o.refusals[0]!.refusals.map((r) => r.check)).toContain(check);
}

describe('forged workflows: the signer signs only what the database proves', () => {
  it('control: an order whose records prove everything is issued through the same forged start', async () => {
    const o = await seedIssuableOrder(h.db.db, { accountId: accountA.id, names: [name()] });
    const result = await runForgedIssuance(h.temporal, h.config, { orderId: o.orderId });
    expect(result.status).toBe('valid');
    expect(await outcome(o.orderId)).toMatchObject({ status: 'valid', precertificate: true, certificate: true, refusals: [] });
    expect((await outcome(o.orderId)).hsmSignaturesOverSerial).toBeGreaterThanOrEqual(2);
  });

  it('a pending order made through the API, then a start with empty authorizations, is refused', async () => {
    const victim = `victim.${name()}`;
    const order = await createOrder(h, accountA.apiKey, makeCsr({ names: [victim] }));
    const result = await runForgedIssuance(h.temporal, h.config, { orderId: order.id, fqdns: [], authorizations: [] });
    expect(result.status).toBe('invalid');
    await expectRefused(order.id, 'authorization');
  });

  it('the input names a name validated in another order; the TBS holds the order\'s own, unvalidated name', async () => {
    const validated = await seedIssuableOrder(h.db.db, { accountId: accountA.id, names: [name()] });
    const target = await seedPendingOrder(h.db.db, { accountId: accountA.id, names: [name()] });
    await runForgedIssuance(h.temporal, h.config, { orderId: target.orderId, fqdns: [validated.authorizations[0]!.fqdn] });
    await expectRefused(target.orderId, 'authorization');
  });

  it('another account validated the name: its authorization does not serve this account\'s order', async () => {
    const shared = name();
    await seedIssuableOrder(h.db.db, { accountId: accountA.id, names: [shared] });
    const other = await seedPendingOrder(h.db.db, { accountId: accountB.id, names: [shared] });
    await runForgedIssuance(h.temporal, h.config, { orderId: other.orderId });
    await expectRefused(other.orderId, 'authorization');
  });

  it('BR 4.2.1: an authorization validated 201 days ago is past the reuse period of policy(now)', async () => {
    const o = await seedIssuableOrder(h.db.db, { accountId: accountA.id, names: [name()] });
    const ids = o.authorizations.map((a) => a.id);
    await owner.sql`update authorizations set validated_at = now() - interval '201 days' where id = any(${ids})`;
    await owner.sql`update challenges set validated_at = now() - interval '201 days' where authorization_id = any(${ids})`;
    await runForgedIssuance(h.temporal, h.config, { orderId: o.orderId });
    await expectRefused(o.orderId, 'reuse-period');
  });

  it('BR 3.2.2.8: CAA checked 9 hours ago (TTL below 8 h) is not a check before this signature', async () => {
    const o = await seedIssuableOrder(h.db.db, { accountId: accountA.id, names: [name()] });
    await owner.sql`update corroborations set checked_at = now() - interval '9 hours', caa_valid_until = now() - interval '1 hour'
      where order_id = ${o.orderId} and "check" = 'caa'`;
    await runForgedIssuance(h.temporal, h.config, { orderId: o.orderId });
    await expectRefused(o.orderId, 'caa');
  });

  it('BR 6.1.1.3: a key blocklisted after the order was accepted', async () => {
    const o = await seedIssuableOrder(h.db.db, { accountId: accountA.id, names: [name()] });
    await importBlockedKeys(h.db.db, [{ kind: 'spki-sha256', hash: o.spkiSha256 }], { source: 'gate-test', actor: 'test' });
    await runForgedIssuance(h.temporal, h.config, { orderId: o.orderId });
    await expectRefused(o.orderId, 'key');
  });

  it('CP 4.1: an applicant account disabled after its order was accepted (in-flight orders stop at the signer)', async () => {
    const c = await h.newAccount('Soon disabled');
    const o = await seedIssuableOrder(h.db.db, { accountId: c.id, names: [name()] });
    await setAccountStatus(h.db.db, c.id, 'disabled', { actor: 'test' });
    await runForgedIssuance(h.temporal, h.config, { orderId: o.orderId });
    await expectRefused(o.orderId, 'account');
  });

  // OV: the forged input names no organization, so the workflow skips step 4 (vetting) and lints what the order
  // pinned; the gate alone decides whether that record may still give the subject.
  const DAY = 86_400_000;
  const ovOrder = async (record: { validFrom?: Date; validUntil?: Date }) => {
    const org = await seedVettedOrganization(owner.db, { accountId: accountA.id, ...record });
    return seedIssuableOrder(h.db.db, { accountId: accountA.id, names: [name()], ov: { organizationId: org.organizationId, vettedRecordId: org.record!.id } });
  };

  it('OV control: an order pinning a vetted record of its organization, valid now, is issued under the OV key', async () => {
    const o = await ovOrder({});
    expect((await runForgedIssuance(h.temporal, h.config, { orderId: o.orderId })).status).toBe('valid');
    expect(await outcome(o.orderId)).toMatchObject({ status: 'valid', certificate: true, refusals: [] });
    const [cert] = await h.db.sql`select issuer_id from certificates where order_id = ${o.orderId}`;
    expect(cert!.issuer_id).toBe('ov');
  });

  it('BR 4.2.1: an OV order whose pinned vetted record ended yesterday (vetted 399 days ago) is refused', async () => {
    const o = await ovOrder({ validFrom: new Date(Date.now() - 399 * DAY), validUntil: new Date(Date.now() - DAY) });
    await runForgedIssuance(h.temporal, h.config, { orderId: o.orderId });
    await expectRefused(o.orderId, 'organization');
  });
});
