/**
 * Lint warnings this CA accepts, each with its justification (docs/LINTING.md explains them at length). Any warning
 * not listed here refuses the signature just like an error (pki/lint.ts). Errors are never accepted. Add an entry
 * only with a citation; each one is a deliberate choice of the CP over a BR "SHOULD (NOT)" / "NOT RECOMMENDED".
 */
export interface AcceptedLintWarning {
  readonly linter: 'zlint' | 'pkilint';
  readonly code: string;
  readonly justification: string;
}

const cn = 'CP 7.1.1: the DV subject is the CN, a copy of a SAN dNSName; BR 7.1.4.3 makes the CN NOT RECOMMENDED but allowed';
const ovCn = 'CP 7.1.1: the OV subject carries the CN (required), a copy of a SAN dNSName; BR 7.1.4.3 makes the CN NOT RECOMMENDED but allowed';
const ski = 'CP 7.1.1 lists the Subject Key Identifier; BR 7.1.2.7.6 makes it NOT RECOMMENDED in leaves but allowed';
const validity =
  'BR 6.3.2 (ballot SC-081): from 2026-03-15 a subscriber certificate SHOULD NOT exceed 199 days and MUST NOT exceed 200; ' +
  'domain/policy.ts issues up to the MUST limit (POLICY-2026.md table)';

export const acceptedLintWarnings: readonly AcceptedLintWarning[] = [
  { linter: 'zlint', code: 'w_subject_common_name_included', justification: cn },
  { linter: 'pkilint', code: 'cabf.serverauth.dv.common_name_attribute_present', justification: cn },
  { linter: 'pkilint', code: 'cabf.serverauth.ov.common_name_attribute_present', justification: ovCn },
  { linter: 'zlint', code: 'w_ext_subject_key_identifier_not_recommended_subscriber', justification: ski },
  { linter: 'pkilint', code: 'cabf.serverauth.subscriber.subject_key_identifier_extension_present', justification: ski },
  { linter: 'zlint', code: 'w_server_cert_valid_time_longer_than_199_days', justification: validity },
  { linter: 'pkilint', code: 'cabf.serverauth.certificate_validity_period_exceeds_199_days', justification: validity },
  {
    linter: 'pkilint',
    code: 'cabf.serverauth.subscriber_rsa_digitalsignature_and_keyencipherment_present',
    justification: 'CP 7.1.1 sets keyUsage digitalSignature + keyEncipherment (RSA key transport for TLS 1.2 clients); BR 7.1.2.7.11 allows keyEncipherment for RSA keys',
  },
  {
    linter: 'pkilint',
    code: 'cabf.serverauth.certificate_policy_qualifier_present',
    justification: 'CP 7.1.1 asserts the CPS qualifier on the CP OID; BR 7.1.2.7.9 makes qualifiers NOT RECOMMENDED (CA_CPS_QUALIFIER=off drops it)',
  },
];
