/**
 * The issuance gate's own cost (docs/SECURITY.md), measured in the issuance benchmark's run on the certificates it
 * just issued: what the signing worker adds before each signature — the reads of activities/issuance-gate.ts
 * (`loadIssuanceFacts`: order, accounts, authorizations, reuse links, MPIC and CAA rounds, blocklist, lint reports) and
 * the predicate (domain/issuance-gate.ts, key checks included) — beside, as same-run baselines, rebuilding the TBS
 * from the database (what the signer did before the gate) and one HSM signature (what the gate guards).
 */
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { loadIssuanceFacts } from '../../activities/issuance-gate';
import { loadLeafTbs } from '../../activities/leaf-tbs';
import { evaluateIssuanceGate } from '../../domain/issuance-gate';
import { encodeTbs } from '../../pki/certificate';
import type { Signer } from '../../pki/signer';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: Number(percentile(s, 50).toFixed(2)), p99: Number(percentile(s, 99).toFixed(2)) };
};

export async function measureGate(db: Db, config: CaConfig, signer: Signer, certs: ReadonlyArray<{ orderId: string; serial: string; keyLabel: string }>) {
  const gate: number[] = [];
  const rebuild: number[] = [];
  const sign: number[] = [];
  for (const c of certs) {
    let t = performance.now();
    const { tbs } = await loadLeafTbs(db, config, { orderId: c.orderId, serial: c.serial, kind: 'precertificate' });
    rebuild.push(performance.now() - t);
    // The same work as before a signature (the orders are complete, so the verdict is a refusal on order state; every
    // rule is evaluated all the same).
    t = performance.now();
    const data = encodeTbs(tbs);
    const facts = await loadIssuanceFacts(db, config, { orderId: c.orderId, serial: c.serial, step: 'precertificate', tbs, tbsDer: data, now: new Date() });
    if (facts) evaluateIssuanceGate(facts);
    gate.push(performance.now() - t);
    t = performance.now();
    await signer.signSha256Rsa(c.keyLabel, data);
    sign.push(performance.now() - t);
  }
  return { samples: certs.length, gateMs: summary(gate), tbsRebuildMs: summary(rebuild), hsmSignatureMs: summary(sign) };
}
