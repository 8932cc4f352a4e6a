/**
 * The public half of the audit checkpoint key, read from the HSM token (the operator's CLI opens it like
 * `npm run ca` does): the one key `audit verify` trusts — never a key stored in the database it checks.
 */
import type { CaConfig } from '../../config';
import { auditCheckpointKeyLabel } from '../../activities/audit-checkpoint';
import { openHsm } from '../../pki/hsm';
import { readHsmPin } from '../../pki/hsm-pin';

export async function auditPublicKey(config: CaConfig): Promise<Uint8Array> {
  process.env.SOFTHSM2_CONF ??= config.hsm.softhsmConf;
  const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config.hsm), sessions: 1 });
  try {
    if (!(await hsm.hasKeyPair(auditCheckpointKeyLabel))) {
      throw new Error(`the token has no "${auditCheckpointKeyLabel}" key yet (npm run ca -- init, or the first checkpoint, creates it)`);
    }
    return await hsm.publicKeySpki(auditCheckpointKeyLabel);
  } finally {
    await hsm.close();
  }
}
