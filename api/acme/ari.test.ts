import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { certIdOf, parseCertId } from './ari';

describe('RFC 9773 §4.1 certID', () => {
  it('matches the RFC 9773 Appendix A example (AKI 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4, serial 00:87:65:43:21)', () => {
    const aki = Uint8Array.from(Buffer.from('69885B6B87464041E1B37B847BA0AE2CDE01C8D4', 'hex'));
    expect(certIdOf(aki, '87654321')).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
    expect(parseCertId('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')).toEqual({ keyIdentifier: aki, serialHex: '87654321' });
  });

  it('round-trips our 18-byte serials', () => {
    const serial = execFileSync('openssl', ['rand', '-hex', '18']).toString().trim().replace(/^./, '4');
    expect(parseCertId(certIdOf(new Uint8Array(20).fill(3), serial)).serialHex).toBe(serial);
  });

  it.each(['', 'nodot', 'a.b.c', 'aYhb.', '.AIdl', 'aYhb.gA'])('refuses the malformed certID %j', (id) => {
    expect(() => parseCertId(id)).toThrow();
  });
});
