/**
 * CP 3.2.2.4.12 (the CA is the registrar) end to end: the order offers a `registrant` challenge only for
 * domains the configuration says this CA registers; "ready" makes the CA look the registrant up by RDAP, starting
 * from the IANA bootstrap file (RFC 9224) — both served here by a local HTTP server under the test's control — and
 * compare it with the applicant's registered name.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../support/csr';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { createOrder, sayReady, waitForOrder, type OrderJson } from '../support/orders';

let h: Harness;
let rdap: http.Server;
let rdapPort: number;
const requests: string[] = [];
const registrantOrg = 'RDAP Applicant Co., Ltd.';

beforeAll(async () => {
  rdap = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/dns.json') {
      // Only one of the bootstrap's services matches; the longest match must win (RFC 9224 §4).
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        version: '1.0',
        publication: new Date().toISOString(),
        services: [[['example'], ['http://127.0.0.1:1/nowhere/']], [['test'], [`http://127.0.0.1:${rdapPort}/rdap/`]]],
      }));
      return;
    }
    const m = /^\/rdap\/domain\/(.+)$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/rdap+json' }).end(JSON.stringify({
      objectClassName: 'domain',
      ldhName: m[1],
      entities: [
        { objectClassName: 'entity', handle: 'REG-1', roles: ['registrar'], vcardArray: ['vcard', [['fn', {}, 'text', 'JPRS']]] },
        { objectClassName: 'entity', handle: 'C-42', roles: ['registrant'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Taro Yamada'], ['org', {}, 'text', 'rdap applicant co ltd']]] },
      ],
    }));
  });
  await new Promise<void>((r) => rdap.listen(0, '127.0.0.1', () => r()));
  rdapPort = (rdap.address() as { port: number }).port;
  h = await startHarness({ env: { CA_REGISTRAR_DOMAINS: 'dev.test', CA_RDAP_BOOTSTRAP_URL: `http://127.0.0.1:${rdapPort}/dns.json` } });
});
afterAll(async () => {
  await h?.stop();
  await new Promise<void>((r) => rdap.close(() => r()));
});

async function run(accountName: string): Promise<{ done: OrderJson; challengeId: string }> {
  const { apiKey } = await h.newAccount(accountName);
  const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
  const o = await createOrder(h, apiKey, makeCsr({ names: [name] }));
  const ch = o.authorizations[0]!.challenges.find((c) => c.type === 'registrant')!;
  expect(ch).toBeDefined();
  await sayReady(h, apiKey, o.id, ch.id);
  return { done: await waitForOrder(h, apiKey, o.id), challengeId: ch.id };
}

describe('CP 3.2.2.4.12 registrant via RDAP where the CA is the registrar', () => {
  it('the registrant (org, normalized) is the applicant: validated, with the RDAP evidence', async () => {
    const { done, challengeId } = await run(registrantOrg);
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    expect(requests).toContain('/dns.json');
    expect(requests).toContain(`/rdap/domain/${h.config.dns.devZone}`);
    const [ev] = await h.db.sql`select method, query, result, raw_answers from validation_evidence where challenge_id = ${challengeId} and "check" = 'dcv'`;
    expect(ev).toMatchObject({ method: '3.2.2.4.12 (ca-tbr-12)', query: `RDAP http://127.0.0.1:${rdapPort}/rdap/domain/${h.config.dns.devZone}`, result: 'success' });
    expect(ev!.raw_answers).toMatchObject({ registrant: { handle: 'C-42', names: ['Taro Yamada', 'rdap applicant co ltd'] }, bootstrapFetchedAt: expect.any(String) });
  });

  it('another applicant is refused, and the order says why', async () => {
    const { done } = await run('Someone Else K.K.');
    expect(done.status).toBe('invalid');
    expect(JSON.stringify(done.authorizations[0]!.challenges.find((c) => c.type === 'registrant')!.error)).toMatch(/is not the applicant/);
  });

  it('the IANA bootstrap is fetched once and cached (≤ 48 h)', () => {
    expect(requests.filter((r) => r === '/dns.json')).toHaveLength(1);
  });
});
