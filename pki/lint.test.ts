import { describe, expect, it } from 'vitest';
import { classifyFindings, lintPassed, parsePkilintOutput, parseZlintOutput } from './lint';
import { acceptedLintWarnings } from './lint-acceptances';

describe('linter output parsing', () => {
  it('zlint: pass / NA / NE are not findings; warn → warning, error → error', () => {
    const out = parseZlintOutput(JSON.stringify({
      e_a: { result: 'pass' },
      e_b: { result: 'NA' },
      e_c: { result: 'NE' },
      w_d: { result: 'warn', details: 'why' },
      e_e: { result: 'error' },
      e_f: { result: 'fatal' },
      n_g: { result: 'notice' },
    }));
    expect(out).toEqual([
      { severity: 'warning', code: 'w_d', message: 'why' },
      { severity: 'error', code: 'e_e' },
      { severity: 'fatal', code: 'e_f' },
      { severity: 'notice', code: 'n_g' },
    ]);
  });

  it('pkilint: each finding description with its node path', () => {
    const out = parsePkilintOutput(JSON.stringify({
      results: [{ node_path: 'certificate.x', validator: 'V', finding_descriptions: [{ severity: 'ERROR', code: 'c.e', message: 'm' }, { severity: 'WARNING', code: 'c.w', message: null }] }],
    }));
    expect(out).toEqual([
      { severity: 'error', code: 'c.e', path: 'certificate.x', message: 'm' },
      { severity: 'warning', code: 'c.w', path: 'certificate.x' },
    ]);
  });

  it('every accepted warning cites the CP or BR section that justifies it', () => {
    for (const a of acceptedLintWarnings) expect(a.justification, a.code).toMatch(/\b(CP|BR) \d/);
  });
});

describe('verdict: errors refuse, warnings refuse unless justified (POLICY-2026.md pre-issuance linting)', () => {
  const devZoneOnly = [{
    linter: 'pkilint' as const,
    code: 'cabf.internal_domain_name',
    applies: (f: { message?: string }) => /\.dev\.test"/.test(f.message ?? ''),
    justification: 'dev zone',
  }];
  it.each([
    ['an error refuses', 'zlint', { severity: 'error', code: 'e_x' }, [], false],
    ['a fatal refuses', 'zlint', { severity: 'fatal', code: 'e_x' }, [], false],
    ['an unlisted warning refuses', 'zlint', { severity: 'warning', code: 'w_unknown' }, [], false],
    ['a listed warning passes (CP 7.1.1 CN)', 'zlint', { severity: 'warning', code: 'w_subject_common_name_included' }, [], true],
    ['a listed warning of the OTHER linter refuses', 'pkilint', { severity: 'warning', code: 'w_subject_common_name_included' }, [], false],
    ['a notice passes', 'zlint', { severity: 'notice', code: 'n_x' }, [], true],
    ['development: an internal-name error about the dev zone passes', 'pkilint', { severity: 'error', code: 'cabf.internal_domain_name', message: 'Internal domain name: "a.dev.test"' }, devZoneOnly, true],
    ['development: an internal-name error about another name refuses', 'pkilint', { severity: 'error', code: 'cabf.internal_domain_name', message: 'Internal domain name: "a.corp"' }, devZoneOnly, false],
  ] as const)('%s', (_n, linter, finding, dev, passed) => {
    const classified = classifyFindings(linter, [finding], dev);
    expect(lintPassed(classified)).toBe(passed);
  });
});
