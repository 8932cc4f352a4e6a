/**
 * CA key changeover (CP 5.6): "generate a new CA key and certificate before the remaining validity of the CA
 * certificate becomes shorter than the maximum subscriber validity; then sign certificates and CRLs with the new key".
 * Pure: the scheduled check, the changeover workflow and the CLIs call these with the facts and `now`.
 *
 * Key ids and labels. A CA's first key keeps the CA's id as its row id ('dv') and its historical label ('dv-g4'), so
 * nothing issued before changeover existed changes; generation n > 1 is `<caId>-k<n>` with label `<first label>-k<n>`.
 * Everything a key signs refers to its row id, so each key has its own repository URLs (CRL, OCSP, caIssuers) and its
 * own AKI in what it signs; the CA's subject name stays the same (CP 7.1.2).
 */
import { policyAt, SECONDS_PER_DAY } from './policy';

export const issuerKeyId = (caId: string, generation: number): string => (generation === 1 ? caId : `${caId}-k${generation}`);

export const issuerKeyLabel = (firstKeyLabel: string, generation: number): string => (generation === 1 ? firstKeyLabel : `${firstKeyLabel}-k${generation}`);

export interface ChangeoverPlan {
  /** The scheduled check should start (or continue) the changeover now. */
  readonly due: boolean;
  /**
   * The latest switch: after it, a certificate of policy(now)'s maximum validity would outlive the CA certificate.
   * policy(now) is the conservative choice: the BR maximum only shrinks over time (BR 6.3.2: 200 → 100 → 47 days).
   */
  readonly mustSwitchBy: Date;
  readonly maxValidityDays: number;
}

/**
 * Is the changeover of a key whose CA certificate ends at `caNotAfter` due at `now`? Due `leadDays` before the
 * latest switch, the time the external root needs to sign the next key's CSR (CP 1.1: SECOM's ceremony).
 */
export function changeoverPlan(caNotAfter: Date, now: Date, leadDays: number): ChangeoverPlan {
  const maxValidityDays = policyAt(now).maxValidityDays;
  const mustSwitchBy = new Date(caNotAfter.getTime() - maxValidityDays * SECONDS_PER_DAY * 1000);
  const due = now.getTime() >= mustSwitchBy.getTime() - leadDays * SECONDS_PER_DAY * 1000;
  return { due, mustSwitchBy, maxValidityDays };
}

/**
 * Refuses a switch the new certificate cannot carry: the switch must come before the old key's latest switch, and the
 * new CA certificate must outlast a maximum-validity subscriber certificate issued at the switch (CP 5.6).
 */
export function switchRefusal(input: { switchAt: Date; mustSwitchBy: Date; newCaNotBefore: Date; newCaNotAfter: Date }): string | null {
  const { switchAt, mustSwitchBy, newCaNotBefore, newCaNotAfter } = input;
  if (switchAt.getTime() > mustSwitchBy.getTime()) {
    return `the switch at ${switchAt.toISOString()} is later than ${mustSwitchBy.toISOString()}, when the old CA certificate stops covering a maximum-validity certificate (CP 5.6)`;
  }
  if (newCaNotBefore.getTime() > switchAt.getTime()) return `the new CA certificate is not valid before ${newCaNotBefore.toISOString()}, after the switch`;
  const maxDays = policyAt(switchAt).maxValidityDays;
  if (newCaNotAfter.getTime() - switchAt.getTime() < maxDays * SECONDS_PER_DAY * 1000) {
    return `the new CA certificate ends ${newCaNotAfter.toISOString()}: it would not cover a ${maxDays}-day certificate issued at the switch (CP 5.6)`;
  }
  return null;
}
