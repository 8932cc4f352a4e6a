/**
 * The operators' vetting-queue page in a real browser (Debian's chromium driven by playwright-core): an organization
 * without legal personality (no registry match) uploads a document; a vetting agent logs in, opens the document,
 * records the document check and the call-back; a POST without the CSRF token is refused; an approver logs in and
 * approves from the page. The session cookie is HttpOnly and SameSite=Strict. The vetting's state and its vetted
 * record are then read from PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_COOKIE } from '../../api/vetting-page';
import { startHarness, type Harness } from '../support/ca-harness';
import { createOperator, registerOrganization, waitForVetting, type TestOperator } from '../support/ov';
import { uniqueLabel } from '../support/ca-harness';

let h: Harness;
let browser: BrowserContext;
const profileDir = mkdtempSync(path.join(tmpdir(), 'chromium-'));

beforeAll(async () => {
  h = await startHarness({ perspectives: false });
  // A fresh user-data-dir and no network side channels: nothing but the page under test.
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await h?.stop();
  rmSync(profileDir, { recursive: true, force: true });
});

async function login(page: Page, op: TestOperator): Promise<void> {
  await page.goto(`${h.apiUrl}/operator/login`);
  await page.fill('input[name=name]', op.name);
  await page.fill('input[name=password]', op.password);
  await page.click('button');
  await page.waitForURL(/\/operator\/vettings$/);
}

describe('vetting-queue page (chromium)', () => {
  it('lets an agent record evidence and a second operator approve, with a strict session cookie and CSRF tokens', async () => {
    const { apiKey } = await h.newAccount('OV page applicant');
    const org = await registerOrganization(h, apiKey, {
      legalName: `テスト管理組合${uniqueLabel()}`.slice(0, 40),
      noLegalPersonality: true,
      address: { country: 'JP', prefecture: '大阪府', city: '大阪市北区', street: '梅田1-1-1' },
      telephone: '06-1234-5678',
      representative: { name: '大阪 花子', title: '理事長', email: 'hanako@example.jp' },
    });
    await waitForVetting(h, apiKey, org.id, 'awaiting-documents');
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const up = await h.api(`/v1/organizations/${org.id}/documents?fileName=kiyaku.png`, { method: 'POST', apiKey, headers: { 'content-type': 'application/octet-stream' }, body: png });
    expect(up.status).toBe(201);

    const suffix = uniqueLabel();
    const agent = await createOperator(`agent-${suffix}`, ['vetting-agent']);
    const approver = await createOperator(`approver-${suffix}`, ['approver']);
    const page = await browser.newPage();

    // Without a session the queue sends the browser to the login form.
    await page.goto(`${h.apiUrl}/operator/vettings`);
    expect(page.url()).toMatch(/\/operator\/login$/);
    await login(page, agent);
    const cookie = (await browser.cookies(`${h.apiUrl}/operator/vettings`)).find((c) => c.name === OPERATOR_COOKIE)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/operator' });
    expect(await page.evaluate('document.cookie')).toBe('');

    await page.click(`tr[data-vetting="${org.vetting!.id}"] a`);
    await expect.poll(() => page.textContent('#status')).toBe('awaiting-documents');
    // The document as uploaded, typed by its content, offered as a download.
    const download = await page.request.get(`${h.apiUrl}${await page.getAttribute('a[href^="/operator/documents/"]', 'href')}`);
    expect(download.headers()['content-type']).toBe('image/png');
    expect(download.headers()['content-disposition']).toMatch(/^attachment/);
    expect(Buffer.from(await download.body()).equals(png)).toBe(true);

    await page.selectOption('form[action$="/document-check"] select[name=outcome]', 'verified');
    await page.click('form[action$="/document-check"] button');
    await expect.poll(() => page.textContent('#status')).toBe('awaiting-callback');
    await page.fill('input[name=source]', '法人登記 (documents) / NTT directory');
    await page.fill('input[name=phoneNumber]', '06-1111-2222');
    await page.fill('input[name=answeredBy]', 'Secretary Tanaka');
    await page.click('form[action$="/callback"] button');
    await expect.poll(() => page.textContent('#status')).toBe('awaiting-approval');

    // A cross-site style POST: the session cookie alone is not enough.
    const forged = await page.request.post(`${h.apiUrl}/operator/vettings/${org.vetting!.id}/approve`, { form: { csrf: 'guess' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    // The agent may not approve (role), whatever the page shows.
    await page.click('#approve');
    await expect.poll(() => page.textContent('[role=alert]')).toMatch(/forbidden/);
    await page.click('nav button');
    await page.waitForURL(/\/operator\/login$/);

    await login(page, approver);
    await page.goto(`${h.apiUrl}/operator/vettings/${org.vetting!.id}`);
    await page.click('#approve');
    await expect.poll(() => page.textContent('#status')).toBe('approved');
    expect(await page.textContent('#record')).toContain('O=テスト管理組合');

    const [row] = await h.db.sql`select v.status, r.source, r.state_or_province, r.locality from vettings v join vetted_organizations r on r.vetting_id = v.id where v.id = ${org.vetting!.id}`;
    expect(row).toEqual({ status: 'approved', source: 'documents', state_or_province: '大阪府', locality: '大阪市北区' });
    await waitForVetting(h, apiKey, org.id, 'approved');
  });
});
