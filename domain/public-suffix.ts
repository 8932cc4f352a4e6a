/**
 * The Public Suffix List, ICANN section only (BR 3.2.2.6: no wildcard directly under a public suffix; CP 3.2.2.4.4:
 * the registered domain of the constructed e-mail method). The data comes from `tldts`, a maintained npm package that
 * ships the PSL and is republished when the list changes — update it like any dependency.
 *
 * `allowPrivateDomains: false` ignores the PRIVATE section (github.io, ...): the BR refer to the ICANN section, and a
 * wildcard like *.example.github.io is a registrant's own zone as far as the BR are concerned. Pure (no I/O): usable
 * from workflows, but kept out of identifiers.ts so the workflow bundle does not carry the list unless it needs it.
 */
import { getDomain, getPublicSuffix } from 'tldts';

const icannOnly = { allowPrivateDomains: false, validHosts: [] as string[] };

/** True when `domain` is itself a public suffix of the PSL's ICANN section (`co.jp`, `jp`, `kawasaki.jp`...). */
export function isPublicSuffix(domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.+$/, '');
  return getPublicSuffix(d, icannOnly) === d;
}

/** The registered domain (public suffix + one label) of `fqdn`, or null when the name is itself a public suffix. */
export function registeredDomain(fqdn: string): string | null {
  return getDomain(fqdn.toLowerCase().replace(/^\*\./, ''), icannOnly);
}

/**
 * CP 3.2.2.4.12: is this CA the registrar of the name's registered domain? `registrarDomains` lists registered
 * domains, or `*.suffix` entries for every registered domain under a suffix (config CA_REGISTRAR_DOMAINS).
 */
export function caIsRegistrarFor(fqdn: string, registrarDomains: readonly string[]): boolean {
  const reg = registeredDomain(fqdn);
  if (!reg) return false;
  return registrarDomains.some((d) => {
    const e = d.toLowerCase().trim();
    return e.startsWith('*.') ? reg.endsWith(e.slice(1)) : reg === e;
  });
}
