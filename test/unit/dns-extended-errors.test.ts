import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { describeRcode, extendedErrorsOf, isDnssecFailure } from '../../activities/validation/dns-extended-errors';

/** A SERVFAIL as a validating resolver sends it, with RFC 8914 Extended DNS Errors in its OPT record. */
function servfail(options: Array<{ code: number; data: Buffer }>) {
  const wire = dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    rcode: 'SERVFAIL',
    questions: [{ type: 'CAA', name: 'www.bogus.dev.test', class: 'IN' }],
    additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options }],
  } as dnsPacket.Packet);
  return dnsPacket.decode(wire);
}
const ede = (code: number, text: string) => ({ code: 15, data: Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(text, 'utf8')]) });

describe('RFC 8914 Extended DNS Errors', () => {
  it('reads the info code and text of a DNSSEC-bogus SERVFAIL, and says that DNSSEC validation failed', () => {
    const errors = extendedErrorsOf(servfail([ede(6, 'validation failure <www.bogus.dev.test. CAA IN>: signature crypto failed')]));
    expect(errors).toEqual([{ code: 6, purpose: 'DNSSEC Bogus', text: 'validation failure <www.bogus.dev.test. CAA IN>: signature crypto failed' }]);
    expect(isDnssecFailure(errors)).toBe(true);
    expect(describeRcode({ rcode: 'SERVFAIL', extendedErrors: errors })).toBe(
      'SERVFAIL (DNSSEC validation failed: EDE 6 DNSSEC Bogus: validation failure <www.bogus.dev.test. CAA IN>: signature crypto failed)',
    );
  });

  it('an error that is not about DNSSEC (22 No Reachable Authority) is reported but is no DNSSEC failure', () => {
    const errors = extendedErrorsOf(servfail([ede(22, 'at delegation dev.test.')]));
    expect(isDnssecFailure(errors)).toBe(false);
    expect(describeRcode({ rcode: 'SERVFAIL', extendedErrors: errors })).toBe('SERVFAIL (EDE 22 No Reachable Authority: at delegation dev.test.)');
  });

  it('without the option the rcode stands alone; other EDNS options are ignored', () => {
    const errors = extendedErrorsOf(servfail([{ code: 10, data: Buffer.alloc(8) }]));
    expect(errors).toEqual([]);
    expect(describeRcode({ rcode: 'SERVFAIL', extendedErrors: errors })).toBe('SERVFAIL');
  });
});
