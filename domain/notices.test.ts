import { describe, expect, it } from 'vitest';
import { certificateNoticeKey, noticeMessageId, renderNotice, type CertificateNoticeData } from './notices';
import type { Language } from './statuses';

const data: CertificateNoticeData = {
  serial: '4c1d2e3f',
  dnsNames: ['www.example.jp', 'example.jp'],
  notBefore: '2026-11-29T03:00:00.000Z',
  notAfter: '2027-06-16T02:59:59.000Z',
  links: {
    certificate: 'https://ca.example.jp/v1/orders/o1/certificate',
    status: 'https://ca.example.jp/v1/certificates/4c1d2e3f',
    renewal: 'https://ca.example.jp/v1/certificates/4c1d2e3f/renewals',
    repository: 'https://ca.example.jp/repository',
  },
};
const render = (kind: string, language: Language, extra: Partial<CertificateNoticeData> = {}) =>
  renderNotice({ kind, language, data: { ...data, ...extra } as unknown as Record<string, unknown> });

describe('notices are plain text in the account’s language, with serial, names, validity and links', () => {
  for (const language of ['ja', 'en'] as const) {
    for (const kind of ['certificate-issued', 'certificate-revoked', 'expiry-reminder'] as const) {
      it(`${kind} (${language}) names the serial, every name, the validity and the status link`, () => {
        const { subject, text } = render(kind, language, { daysBefore: 30, revocation: { reason: 'keyCompromise', revokedAt: '2026-12-01T00:00:00.000Z' } });
        expect(subject).toContain('www.example.jp');
        for (const needle of ['4c1d2e3f', 'www.example.jp, example.jp', '2027-06-16 02:59:59 UTC', data.links.status, data.links.repository]) expect(text).toContain(needle);
      });
    }
  }

  it('Japanese notices give the validity in JST as well (UTC+9)', () => {
    expect(render('certificate-issued', 'ja').text).toContain('2027年6月16日 11:59:59 (JST)');
  });

  it('CP 4.3.2 / 4.4.1: the issuance notice links the download, which is the acceptance', () => {
    expect(render('certificate-issued', 'en').text).toContain(`${data.links.certificate}`);
    expect(render('certificate-issued', 'en').text).toContain('CP 4.4.1');
  });

  it('CP 4.6–4.8: the issuance notice of a renewal names its kind and the superseded certificate', () => {
    const { text } = render('certificate-issued', 'en', { renewal: { kind: 'rekey', predecessorSerial: '77aa' } });
    expect(text).toContain('re-keys (new key, CP 4.7) certificate 77aa, which is now superseded');
    expect(render('certificate-issued', 'ja', { renewal: { kind: 'renewal', predecessorSerial: '77aa' } }).text).toContain('証明書 77aa の更新（同じ鍵、CP 4.6）');
  });

  it('the expiry reminder says how many days are left and where to renew', () => {
    const { subject, text } = render('expiry-reminder', 'en', { daysBefore: 7 });
    expect(subject).toBe('[JPRS CA] Your certificate expires in 7 days: www.example.jp');
    expect(text).toContain(data.links.renewal);
  });

  it('the revocation notice gives the reason and the time', () => {
    const { text } = render('certificate-revoked', 'ja', { revocation: { reason: 'superseded', revokedAt: '2026-12-01T00:00:00.000Z' } });
    expect(text).toContain('新しい証明書による置き換え (superseded)');
    expect(text).toContain('2026年12月1日 09:00:00 (JST)');
  });

  it('an announcement is the caller’s text in the recipient’s language', () => {
    const n = { kind: 'announcement', data: { subject: { ja: '障害のお知らせ', en: 'Incident' }, body: { ja: '本文', en: 'Body' } } };
    expect(renderNotice({ ...n, language: 'en' })).toEqual({ subject: '[JPRS CA] Incident', text: 'Body' });
    expect(renderNotice({ ...n, language: 'ja' })).toEqual({ subject: '[JPRS CA] 障害のお知らせ', text: '本文' });
  });

  it('a kind without a template, or data without the certificate facts, is an invariant violation (never an empty mail)', () => {
    expect(() => renderNotice({ kind: 'nope', language: 'en', data: {} })).toThrow(/no template/);
    expect(() => renderNotice({ kind: 'certificate-issued', language: 'en', data: {} })).toThrow(/needs serial/);
  });
});

describe('a notice is identified once', () => {
  it('RFC 5322 §3.6.4: the Message-ID depends on the notice only, so every attempt carries the same one', () => {
    expect(noticeMessageId('n-1', 'notices@jprs.jp')).toBe('<notice.n-1@jprs.jp>');
    expect(noticeMessageId('n-1', 'JPRS CA <notices@ca.example.jp>')).toBe('<notice.n-1@ca.example.jp>');
  });

  it('the idempotency key: one issuance and one revocation notice per certificate, one reminder per day count', () => {
    expect(certificateNoticeKey('certificate-issued', 'ab')).toBe('certificate-issued:ab');
    expect(certificateNoticeKey('expiry-reminder', 'ab', 30)).not.toBe(certificateNoticeKey('expiry-reminder', 'ab', 7));
  });
});
