/**
 * Sessions the token closed (an HSM restart or failover, PKCS#11 v2.40 §5.6 C_CloseAllSessions): the signer must not
 * keep handing out dead session handles — every signature would fail with CKR_SESSION_HANDLE_INVALID, and the signing
 * activity (retried without a bound: an HSM outage delays, it does not fail an order) would be retried forever. It
 * reopens the session, logs in again (closing the last session logs the application out) and finds its keys again
 * (their handles died with the sessions).
 */
import path from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, repoRoot, type CaConfig } from '../../config';
import { openHsm, type Hsm } from '../../pki/hsm';
import { ensureSoftHsmToken } from '../../scripts/lib/softhsm';

process.env.CA_DATA_DIR ??= path.join(repoRoot, '.data-test');

const LABEL = 'itest-session-recovery';
let config: CaConfig;
let hsm: Hsm;

/** What the token does on a restart: every session of the application on that slot is gone. */
function tokenClosesAllSessions(): void {
  const lib = new pkcs11js.PKCS11();
  lib.load(config.hsm.modulePath);
  try {
    // Loaded and initialized already in this process (by openHsm): usable as is.
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (e) {
    if ((e as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
  }
  const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === config.hsm.tokenLabel)!;
  lib.C_CloseAllSessions(slot);
}

beforeAll(async () => {
  config = loadConfig();
  const token = await ensureSoftHsmToken(config);
  hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: token.pin, sessions: 2 });
  if (!(await hsm.hasKeyPair(LABEL))) await hsm.generateRsaKeyPair(LABEL);
});
afterAll(async () => {
  await hsm?.close();
});

describe('the PKCS#11 signer after the token closed its sessions', () => {
  it('reopens them, logs in again and signs', async () => {
    const data = new TextEncoder().encode('before');
    expect((await hsm.signSha256Rsa(LABEL, data)).length).toBe(256);
    tokenClosesAllSessions();
    // Every session of the pool is dead now; each signature reopens the one it was given.
    const signatures = await Promise.all([1, 2, 3, 4].map((i) => hsm.signSha256Rsa(LABEL, new TextEncoder().encode(`after ${i}`))));
    for (const s of signatures) expect(s.length).toBe(256);
    expect(await hsm.hasKeyPair(LABEL)).toBe(true);
  });
});
