/**
 * What every notice template shares (domain/notices.ts for the subscriber's certificates, domain/operator-notices.ts
 * for the operator workflows' notices): instants in UTC and in JST, the revocation reasons in Japanese, the footer
 * naming the rule a notice is sent under. Pure.
 */
import type { Language } from './statuses';

const pad = (n: number) => String(n).padStart(2, '0');

/** 2026-11-29 03:00:00 UTC */
export function utc(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** 2026年11月29日 12:00:00 (JST): Japan has no daylight saving time, so JST is UTC+9 all year. */
export function jst(iso: string): string {
  const d = new Date(Date.parse(iso) + 9 * 3_600_000);
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} (JST)`;
}

/** The CRLReason names this CA uses (CP 7.2.3), in Japanese. */
export const reasonWords: Readonly<Record<string, string>> = {
  unspecified: '理由の指定なし',
  keyCompromise: '私有鍵の危殆化',
  affiliationChanged: '登録情報の変更',
  superseded: '新しい証明書による置き換え',
  cessationOfOperation: '利用の終了',
  privilegeWithdrawn: '認証局による利用停止',
};

export const footer = (lang: Language, rule: string): string[] =>
  lang === 'ja'
    ? ['', `このメールは ${rule} に基づき、JPRS サーバー証明書認証局から自動的に送信しています。`]
    : ['', `This notice is sent automatically by the JPRS server certificate CA under ${rule}.`];
