import { describe, expect, it } from 'vitest';
import type { OrderDetail } from '../db/repositories/orders';
import { parseDcvMethod } from '../domain/dcv';
import { dcvMethodIds } from '../domain/policy';
import { challengeType, presentOrder } from './order-view';

describe('REST order view: a challenge `type` is a label CreateOrder.methods accepts back (CP 3.2.2.4)', () => {
  for (const method of dcvMethodIds) {
    it(`${method} is shown as "${challengeType(method)}", which parseDcvMethod reads as ${method}`, () => {
      expect(challengeType(method)).not.toBe(method);
      expect(parseDcvMethod(challengeType(method))).toBe(method);
    });
  }

  it('the view labels every challenge of an order by its method', () => {
    const at = new Date('2026-03-01T00:00:00Z');
    const challenge = (method: string, recordName: string | null) => ({
      id: `00000000-0000-4000-8000-00000000000${method.length}`,
      authorizationId: 'a',
      method,
      recordName,
      token: `value-${method}`,
      keyAuthorization: null,
      status: 'pending' as const,
      expiresAt: at,
      readyAt: null,
      validatedAt: null,
      error: null,
      createdAt: at,
    });
    const order = {
      id: 'o',
      status: 'pending',
      profile: 'dv',
      dnsNames: ['www.example.jp'],
      createdAt: at,
      expiresAt: at,
      error: null,
      workflowId: 'order-o',
      accountId: 'acc',
      providerAccountId: null,
      certificate: null,
      acme: null,
      authorizations: [
        {
          id: 'a',
          fqdn: 'www.example.jp',
          wildcard: false,
          status: 'pending',
          challenges: [challenge('3.2.2.4.7', '_acme-challenge.www.example.jp'), challenge('3.2.2.4.18', '/.well-known/pki-validation/x.txt'), challenge('3.2.2.4.4', null)],
        },
      ],
    } as unknown as OrderDetail;
    const view = presentOrder(order, 'https://ca.example.jp');
    const shown = view.authorizations[0]!.challenges;
    expect(shown.map((c) => [c.method, c.type])).toEqual([
      ['3.2.2.4.7', 'dns-01'],
      ['3.2.2.4.18', 'web-file'],
      ['3.2.2.4.4', 'email'],
    ]);
    expect(shown[0]).toMatchObject({ recordName: '_acme-challenge.www.example.jp', url: null, recordValue: 'value-3.2.2.4.7' });
    expect(shown[1]).toMatchObject({ recordName: null, url: 'http://www.example.jp/.well-known/pki-validation/x.txt' });
    expect(shown[2]!.emailAddresses).toContain('admin@example.jp');
  });
});
