/**
 * pkijs needs a WebCrypto engine for signature verification (CSR proof of possession, CT SCTs, tests).
 * Set it once per process with Node's webcrypto; importing this module is enough.
 */
import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';

let installed = false;

export function ensureCryptoEngine(): void {
  if (installed) return;
  pkijs.setEngine('nodeWebcrypto', new pkijs.CryptoEngine({ name: 'nodeWebcrypto', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] }));
  installed = true;
}

ensureCryptoEngine();
