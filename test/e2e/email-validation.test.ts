/**
 * CP 3.2.2.4.4 constructed e-mail end to end: the order offers an `email` challenge with the constructed
 * addresses, the applicant picks one, the CA sends one e-mail with its own random value through SMTP (nodemailer to an
 * in-process smtp-server), the recipient POSTs the link, the workflow is signalled and the name is validated (CAA
 * still corroborated by the perspectives).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../support/csr';
import { eventually, startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { createOrder, getOrder, waitForOrder } from '../support/orders';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';

let h: Harness;
let smtp: SmtpSink;
let apiKey: string;

beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startHarness({ env: { CA_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, CA_SMTP_FROM: 'dcv@ca.example.jp' } });
  ({ apiKey } = await h.newAccount('Mail Applicant'));
});
afterAll(async () => {
  await h?.stop();
  await smtp?.stop();
});

const order = (names: string[]) => createOrder(h, apiKey, makeCsr({ names }));

const linkOf = (raw: string): string => {
  const m = /(http:\/\/\S+\/email-validations\/[A-Za-z0-9_-]+)/.exec(raw.replace(/=\r?\n/g, ''));
  if (!m) throw new Error(`no link in:\n${raw}`);
  // The link names the API's public base URL; the harness's API listens on a free port.
  const u = new URL(m[1]!);
  return `${h.apiUrl}${u.pathname}`;
};

describe('CP 3.2.2.4.4 constructed e-mail', () => {
  it('offers the constructed addresses (www stripped), sends one value per e-mail, and validates on confirmation', async () => {
    const base = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const o = await order([`www.${base}`]);
    const ch = o.authorizations[0]!.challenges.find((c) => c.type === 'email')!;
    // Registered domain of x.dev.test is dev.test (unknown TLD: the PSL's "*" rule); www. is stripped from the FQDN.
    expect(ch.emailAddresses).toEqual([
      ...['admin', 'administrator', 'webmaster', 'hostmaster', 'postmaster'].map((l) => `${l}@${h.config.dns.devZone}`),
      ...['admin', 'administrator', 'webmaster', 'hostmaster', 'postmaster'].map((l) => `${l}@${base}`),
    ]);
    // An address outside the constructed set is refused.
    const bad = await h.api(`/v1/orders/${o.id}/challenges/${ch.id}/ready`, { method: 'POST', apiKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `ceo@${base}` }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { rule: string }).rule).toBe('CP 3.2.2.4.4');

    const before = smtp.messages.length;
    const ready = await h.api(`/v1/orders/${o.id}/challenges/${ch.id}/ready`, { method: 'POST', apiKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `hostmaster@${base}` }) });
    expect(ready.status).toBe(202);
    const mail = await eventually(async () => smtp.messages.slice(before).find((m) => m.to.includes(`hostmaster@${base}`)), 30_000);
    expect(mail.from).toBe('dcv@ca.example.jp');
    const link = linkOf(mail.raw);
    const value = link.split('/').pop()!;
    expect(Buffer.from(value, 'base64url').length).toBeGreaterThanOrEqual(14); // ≥ 112 bits
    expect(value).not.toBe(ch.id);
    // A GET (a link scanner) changes nothing.
    expect((await fetch(link)).status).toBe(200);
    expect((await getOrder(h, apiKey, o.id)).status).toBe('pending');
    // Unknown values are 404.
    expect((await fetch(link.replace(/[A-Za-z0-9_-]{5}$/, 'AAAAA'), { method: 'POST' })).status).toBe(404);

    const confirm = await fetch(link, { method: 'POST' });
    expect(confirm.status).toBe(200);
    const done = await waitForOrder(h, apiKey, o.id);
    expect(done.authorizations[0]!.challenges.find((c) => c.id === ch.id)!.status).toBe('valid');
    const ev = await h.db.sql`select method, query, result, authorization_domain_name from validation_evidence where challenge_id = ${ch.id} and "check" = 'dcv'`;
    expect(ev).toEqual([{ method: '3.2.2.4.4 (ca-tbr-4)', query: `mail to hostmaster@${base}`, result: 'success', authorization_domain_name: base }]);
    // CAA is still corroborated by the perspectives (no DCV round for e-mail: nothing a network perspective can see).
    const rounds = await h.db.sql`select c.check, c.result from corroborations c where c.order_id = ${o.id}`;
    expect(rounds).toEqual([{ check: 'caa', result: 'pass' }]);
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
  });
});
