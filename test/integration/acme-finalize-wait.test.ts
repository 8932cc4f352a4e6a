/**
 * RFC 8555 §7.4: finalize answers `processing` (the client polls) or, when the order moves on within
 * config acme.finalizeWaitSeconds, the order as it now is. The move is announced by PostgreSQL (migration 0019's
 * trigger, db/order-status-events.ts), here made by hand where the workflow would make it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url } from 'jose';
import { createAcmeApp } from '../../api/acme/app';
import { createDb, type DbHandle } from '../../db/client';
import { listenForOrderStatus, type OrderStatusEvents } from '../../db/order-status-events';
import { storedFailure } from '../../domain/errors';
import { AcmeTestClient, newAccountKey } from '../support/acme-client';
import { makeCsr } from '../support/csr';
import { DIRECTORY, useAcmeTestServer, zone } from './acme-fixture';

const s = useAcmeTestServer('acme_finalize_wait');
const WAIT_SECONDS = 1.5;

let listener: DbHandle;
let events: OrderStatusEvents;
let c: AcmeTestClient;
/** What the order's workflow does after the finalize signal; a test sets it. */
let afterFinalize: (orderId: string) => void = () => {};

beforeAll(async () => {
  // As the ACME server listens: the runtime role (the trigger fires for the owner's updates made here too).
  listener = createDb(s.fresh.runtimeUrl, { max: 1 });
  events = await listenForOrderStatus(listener.sql);
  const app = createAcmeApp({
    ...s.deps,
    config: { ...s.deps.config, acme: { ...s.deps.config.acme, finalizeWaitSeconds: WAIT_SECONDS } },
    orderStatus: events,
    workflows: {
      ...s.workflows,
      async signalFinalize(orderId) {
        await s.workflows.signalFinalize(orderId);
        afterFinalize(orderId);
      },
    },
  });
  c = await new AcmeTestClient((url, init) => app.request(url, init), DIRECTORY, await newAccountKey()).init();
  await c.register();
});
afterAll(async () => {
  await listener?.close();
});

/** A new order of one name, made ready as the workflow makes it once its authorizations are valid. */
async function readyOrder() {
  const name = `w${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.${zone}`;
  const created = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: name }] });
  const url = created.headers.get('location')!;
  const id = url.split('/').pop()!;
  const { finalize } = (await created.json()) as { finalize: string };
  await s.fresh.handle.sql`update orders set status = 'ready' where id = ${id}`;
  return { id, finalize, csr: base64url.encode(makeCsr({ names: [name] }).der) };
}

describe('finalize waits a bounded time for the order to move on', () => {
  it('answers the failed order with its error when the workflow fails it within the wait', async () => {
    const o = await readyOrder();
    const error = storedFailure('caa', 'CAA forbids issuance');
    afterFinalize = (id) =>
      void setTimeout(() => void s.fresh.handle.sql`update orders set status = 'invalid', error = ${JSON.stringify(error)}::jsonb where id = ${id}`.then(() => {}), 200);
    const t0 = performance.now();
    const res = await c.post(o.finalize, { csr: o.csr });
    const ms = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toMatchObject({ status: 'invalid', error: { type: 'urn:ietf:params:acme:error:caa', detail: 'CAA forbids issuance' } });
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(WAIT_SECONDS * 1000);
  });

  it('answers processing with Retry-After once the wait is over and the order has not moved', async () => {
    const o = await readyOrder();
    afterFinalize = () => {};
    const t0 = performance.now();
    const res = await c.post(o.finalize, { csr: o.csr });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(WAIT_SECONDS * 1000 - 10);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(((await res.json()) as { status: string }).status).toBe('processing');
  });

  it('is woken by its own order only, and not by the status it waits to leave or an update that keeps it', async () => {
    const [a, b] = [await readyOrder(), await readyOrder()];
    const waiting = events.leaves(a.id, 'processing', 800);
    await s.fresh.handle.sql`update orders set status = 'processing' where id = ${a.id}`;
    await s.fresh.handle.sql`update orders set status = 'processing' where id = ${a.id}`;
    await s.fresh.handle.sql`update orders set status = 'valid' where id = ${b.id}`;
    expect(await waiting).toBeNull();
    const again = events.leaves(a.id, 'processing', 5000);
    await s.fresh.handle.sql`update orders set status = 'valid' where id = ${a.id}`;
    expect(await again).toBe('valid');
  });
});
