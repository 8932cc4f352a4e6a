/**
 * The applicant picks the method per authorization (CP 3.2.2.4). The web file method (BR 3.2.2.4.18) end to end: the
 * order offers a `web-file` challenge next to dns-01 (never for a wildcard), the applicant serves the random value on
 * a real web server on 127.0.0.1:80, says ready for THAT challenge, and the primary and every remote perspective fetch
 * it (loopback allowed only by the development configuration).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../support/csr';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { createOrder, sayReady, waitForOrder } from '../support/orders';
import { redirect, serve, startWebServers, type WebServers } from '../support/web-server';

let h: Harness;
let web: WebServers;
let apiKey: string;

beforeAll(async () => {
  h = await startHarness();
  web = await startWebServers();
  ({ apiKey } = await h.newAccount('Web Applicant'));
});
afterAll(async () => {
  await web?.stop();
  await h?.stop();
});

const order = (names: string[]) => createOrder(h, apiKey, makeCsr({ names, cn: names.find((n) => !n.startsWith('*')) ?? null }));

describe('CP 3.2.2.4.18 web file, chosen by the applicant', () => {
  it('offers dns-01 and web-file for a name, dns-01 only for a wildcard', async () => {
    const base = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const o = await order([base, `*.${base}`]);
    const [plain, wild] = o.authorizations;
    expect(plain!.challenges.map((c) => c.type)).toEqual(['dns-01', 'web-file']);
    expect(wild!.challenges.map((c) => c.type)).toEqual(['dns-01']);
    const file = plain!.challenges[1]!;
    expect(file.method).toBe('3.2.2.4.18');
    expect(file.url).toMatch(new RegExp(`^http://${base.replace(/\./g, '\\.')}/\\.well-known/pki-validation/[0-9a-f]{32}\\.txt$`));
    // BR 3.2.2.4.18: the random value is not part of the URL the CA will request.
    expect(file.url).not.toContain(file.recordValue);
    expect(file.recordValue).not.toBe(plain!.challenges[0]!.recordValue);
  });

  it('validates by the file on 127.0.0.1:80 from the primary and all five perspectives, and issues', async () => {
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const o = await order([name]);
    const file = o.authorizations[0]!.challenges.find((c) => c.type === 'web-file')!;
    h.dns.add({ name, type: 'A', value: '127.0.0.1' });
    web.route(name, new URL(file.url!).pathname, serve(`${file.recordValue}\n`));
    await sayReady(h, apiKey, o.id, file.id);
    const done = await waitForOrder(h, apiKey, o.id);
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    const validated = done.authorizations[0]!.challenges.find((c) => c.id === file.id)!;
    expect(validated.status).toBe('valid');
    // The random value never appeared in any request; 1 primary + 5 remote fetches.
    const mine = web.requests.filter((r) => r.host === name);
    expect(mine).toHaveLength(6);
    expect(mine.every((r) => !r.path.includes(file.recordValue))).toBe(true);
    const ev = await h.db.sql`select perspective, method, query, result from validation_evidence where challenge_id = ${file.id} and "check" = 'dcv'`;
    expect(ev.find((e) => e.perspective === 'primary')).toMatchObject({ method: '3.2.2.4.18 (ca-tbr-18)', query: `GET ${file.url}`, result: 'success' });
    expect(ev.filter((e) => e.perspective !== 'primary' && e.result === 'success')).toHaveLength(5);
  });

  it('a file served with the wrong content leaves the order invalid with the evidence', async () => {
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const o = await order([name]);
    const file = o.authorizations[0]!.challenges.find((c) => c.type === 'web-file')!;
    h.dns.add({ name, type: 'A', value: '127.0.0.1' });
    web.route(name, new URL(file.url!).pathname, serve('something else'));
    await sayReady(h, apiKey, o.id, file.id);
    const done = await waitForOrder(h, apiKey, o.id, { until: (j) => j.status === 'invalid' });
    expect(JSON.stringify(done.error)).toContain(name);
    expect(done.authorizations[0]!.challenges.find((c) => c.id === file.id)!.status).toBe('invalid');
  });

  it('a redirect whose Location is not a URL is a recorded failure: the challenge stores connectionFailed', async () => {
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const o = await order([name]);
    const file = o.authorizations[0]!.challenges.find((c) => c.type === 'web-file')!;
    h.dns.add({ name, type: 'A', value: '127.0.0.1' });
    web.route(name, new URL(file.url!).pathname, redirect(302, 'http://exa mple.jp/x'));
    await sayReady(h, apiKey, o.id, file.id);
    const done = await waitForOrder(h, apiKey, o.id, { until: (j) => j.status === 'invalid' });
    const failed = done.authorizations[0]!.challenges.find((c) => c.id === file.id)!;
    expect(failed.status).toBe('invalid');
    expect(failed.error).toMatchObject({ type: 'connectionFailed' });
    const [ev] = await h.db.sql`select result, detail from validation_evidence where challenge_id = ${file.id} and perspective = 'primary' order by id desc limit 1`;
    expect(ev).toMatchObject({ result: 'failure' });
    expect(ev!.detail).toMatch(/not a URL/);
  });
});
