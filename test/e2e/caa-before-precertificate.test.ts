/**
 * BR 3.2.2.8 / 4.2.4: CAA is checked within max(TTL, 8 h) BEFORE issuance. An ACME order's
 * authorizations are corroborated (CAA included) when they validate; finalize may come days later. Here the main
 * worker runs 9 hours behind (its CAA check at authorization time looks 9 hours old to the workflow), the domain's
 * CAA changes to `0 issue ";"` before finalize, and the order must fail with the ACME `caa` error before anything is
 * signed: no precertificate, nothing submitted to CT. Real workers, five remote perspectives, Temporal, PostgreSQL,
 * SoftHSM2 and the CT logs of the global setup; the ACME app runs in process with the real Temporal client.
 */
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcmeApp } from '../../api/acme/app';
import { createNonceStore, usedNoncesIn } from '../../api/acme/nonces';
import { createDb } from '../../db/client';
import { temporalCaWorkflows } from '../../temporal/client';
import { AcmeTestClient, newAccountKey } from '../support/acme-client';
import { eventually, startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { makeCsr } from '../support/csr';
import { ownerDatabaseUrl } from '../support/database';

const BASE = 'https://acme.test.example:8443/acme';
const NINE_HOURS_MS = 9 * 3_600_000;

let h: Harness;
let acme: AcmeTestClient;

beforeAll(async () => {
  h = await startHarness({ env: { CA_DEV_ZONE: 'caa-finalize.example.jp' }, mainWorkerClock: () => new Date(Date.now() - NINE_HOURS_MS) });
  // A CA key issues from its activation (CP 5.6, issuers.active_from), which the test services set minutes ago when
  // they stored the CA certificates: to a worker 9 hours behind, no key would be in use yet, and the serial
  // reservation (step 5) would fail before the CAA re-check this file is about. The keys are made active from earlier.
  const owner = createDb(ownerDatabaseUrl(), { max: 1 });
  try {
    await owner.sql`update issuers set active_from = active_from - interval '10 hours' where active_from > now() - interval '10 hours'`;
  } finally {
    await owner.close();
  }
  const app = createAcmeApp({
    db: h.db.db,
    workflows: temporalCaWorkflows(h.temporal, h.config),
    config: h.config,
    clock: () => new Date(),
    nonces: createNonceStore({ key: new Uint8Array(randomBytes(32)), used: usedNoncesIn(h.db.db) }),
    eabEncryptionKey: new Uint8Array(randomBytes(32)),
    baseUrl: BASE,
  });
  acme = await new AcmeTestClient((url, init) => app.request(url, init), `${BASE}/directory`, await newAccountKey()).init();
  expect((await acme.register()).status).toBe(201);
});
afterAll(async () => {
  await h?.stop();
});

type AcmeOrder = { status: string; authorizations: string[]; finalize: string; error?: { type: string; detail: string } };
const read = async <T>(url: string): Promise<T> => (await (await acme.post(url, '')).json()) as T;

describe('BR 3.2.2.8: CAA fresh before every precertificate', () => {
  it('CAA changed to 0 issue ";" after authorization: the re-check before step 7 refuses, nothing is signed or logged', async () => {
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const created = await acme.post(acme.directory.newOrder!, { identifiers: [{ type: 'dns', value: name }] });
    expect(created.status).toBe(201);
    const orderUrl = created.headers.get('location')!;
    const orderId = orderUrl.split('/').pop()!;
    const order = (await created.json()) as AcmeOrder;

    // dns-01 (RFC 8555 §8.4): the TXT record is the digest of the key authorization.
    const authzUrl = order.authorizations[0]!;
    const authz = await read<{ challenges: Array<{ type: string; token: string; url: string }> }>(authzUrl);
    const challenge = authz.challenges.find((c) => c.type === 'dns-01')!;
    const keyAuthorization = `${challenge.token}.${await acme.thumbprint()}`;
    h.dns.add({ name: `_acme-challenge.${name}`, type: 'TXT', value: createHash('sha256').update(keyAuthorization).digest('base64url') });
    expect((await acme.post(challenge.url, {})).status).toBe(200);
    await eventually(async () => (await read<AcmeOrder>(orderUrl)).status === 'ready', 90_000);
    const [round] = await h.db.sql`select checked_at, caa_valid_until from corroborations where order_id = ${orderId} and "check" = 'caa'`;
    expect(new Date(round!.caa_valid_until as Date).getTime()).toBeLessThan(Date.now());

    // The domain holder withdraws this CA's permission; then the client finalizes.
    h.dns.add({ name, type: 'CAA', value: { flags: 0, tag: 'issue', value: ';' } });
    const finalize = await acme.post(order.finalize, { csr: Buffer.from(makeCsr({ names: [name] }).der).toString('base64url') });
    expect(finalize.status).toBe(200);
    const done = await eventually(async () => {
      const o = await read<AcmeOrder>(orderUrl);
      return o.status === 'invalid' ? o : null;
    }, 90_000);
    expect(done.error?.type).toBe('urn:ietf:params:acme:error:caa');

    const [cert] = await h.db.sql`select serial, precert_der is null as no_precert, cert_der is null as no_cert from certificates where order_id = ${orderId}`;
    expect(cert ?? { no_precert: true, no_cert: true }).toMatchObject({ no_precert: true, no_cert: true });
    const [scts] = await h.db.sql`select count(*)::int as n from certificate_scts s join certificates c on c.serial = s.serial where c.order_id = ${orderId}`;
    expect(scts!.n).toBe(0);
    const rounds = await h.db.sql`select result, quorum->>'roundKey' as key from corroborations where order_id = ${orderId} and "check" = 'caa' order by checked_at`;
    expect(rounds.map((r) => [r.result, String(r.key).split(':')[1]])).toEqual([
      ['pass', 'step3'],
      ['fail', 'step7'],
    ]);
  });
});
