/**
 * Untrusted DER has one way in, pki/der.ts: `npm run lint` refuses asn1js's and pkijs's fromBER anywhere else
 * (eslint.config.js), in whatever form it is reached.
 */
import { describe, expect, it } from 'vitest';
import { lintAs as lint } from '../support/eslint';

const refusal = 'no-restricted-syntax: Untrusted DER goes through pki/der.ts (decodeDer, parseDer): no fromBER elsewhere.';

describe('fromBER outside pki/der.ts fails lint', () => {
  it.each([
    ['asn1js.fromBER in pki/', 'pki/example.ts', "import * as asn1js from 'asn1js';\nexport const a = asn1js.fromBER(new Uint8Array(1));"],
    ['a named import in api/', 'api/example.ts', "import { fromBER } from 'asn1js';\nexport const a = fromBER(new Uint8Array(1));"],
    ['a pkijs static fromBER in a test', 'pki/example.test.ts', "import * as pkijs from 'pkijs';\nexport const c = pkijs.Certificate.fromBER(new Uint8Array(1));"],
  ])('%s', async (_name, file, code) => {
    const messages = await lint(file, code);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.every((m) => m === refusal)).toBe(true);
  });

  it('pki/der.ts itself may call it', async () => {
    expect(await lint('pki/der.ts', "import * as asn1js from 'asn1js';\nexport const a = asn1js.fromBER(new Uint8Array(1));")).toEqual([]);
  });
});
