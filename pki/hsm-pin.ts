/**
 * The HSM user PIN, which unlocks the CA keys in the token (CP 6.1.1: they never leave it): HSM_PIN when the
 * deployment sets it, else the PIN file the token setup wrote (mode 0600, scripts/lib/softhsm.ts). Shared by the
 * signing worker and the operator scripts, which open the token the same way.
 */
import fs from 'node:fs';

export function readHsmPin(hsm: { readonly pin?: string | undefined; readonly pinFile: string }): string {
  if (hsm.pin !== undefined) return hsm.pin;
  try {
    return fs.readFileSync(hsm.pinFile, 'utf8').trim();
  } catch (e) {
    throw new Error(`HSM PIN unavailable: HSM_PIN is not set and ${hsm.pinFile} cannot be read (${(e as Error).message}); run "npm run ca -- init" or set HSM_PIN`);
  }
}
