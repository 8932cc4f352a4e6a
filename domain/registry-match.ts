/**
 * Step 1 of an organization vetting (CP 3.2.2.1, 3.2.2.3): the automated match of an application against the
 * imported National Tax Agency record of its corporate number — the number exists, the registration is not closed,
 * the name and the head-office address agree after normalisation (organization-names.ts). Every check is returned,
 * passed or not, as the evidence a vetting agent and an auditor read. Pure.
 */
import { registryClosure, type RegistryRecord } from './nta-registry';
import { normalizeAddress, normalizeOrganizationName } from './organization-names';

export interface OrganizationApplication {
  readonly legalName: string;
  readonly corporateNumber: string | null;
  readonly prefecture: string;
  readonly city: string;
  readonly street: string;
}

export interface MatchCheck {
  readonly check: 'exists' | 'open' | 'name' | 'prefecture' | 'city' | 'street';
  readonly passed: boolean;
  /** What was compared (the normalised forms), or why the check failed. */
  readonly detail: string;
}

export interface RegistryMatch {
  readonly matched: boolean;
  readonly checks: readonly MatchCheck[];
  /** The registry's own forms: what the vetted record takes (O = the registered name, never the applicant's spelling). */
  readonly registered: { readonly name: string; readonly prefecture: string; readonly city: string; readonly street: string; readonly updateDate: string } | null;
}

const compare = (check: MatchCheck['check'], applied: string, registry: string, norm: (s: string) => string): MatchCheck => {
  const a = norm(applied);
  const r = norm(registry);
  return { check, passed: a === r, detail: a === r ? `"${applied}" = "${registry}"` : `applied "${applied}" (${a}) ≠ registry "${registry}" (${r})` };
};

/** Matches the application against the record of its corporate number (null: the number is not in the registry). */
export function matchRegistryRecord(app: OrganizationApplication, record: RegistryRecord | null): RegistryMatch {
  if (app.corporateNumber === null) {
    return { matched: false, checks: [{ check: 'exists', passed: false, detail: 'no corporate number: no legal personality, documents needed' }], registered: null };
  }
  if (!record) {
    return { matched: false, checks: [{ check: 'exists', passed: false, detail: `${app.corporateNumber} is not in the imported registry` }], registered: null };
  }
  const closed = registryClosure(record);
  const name = (s: string) => normalizeOrganizationName(s).key;
  const checks: MatchCheck[] = [
    { check: 'exists', passed: true, detail: `${record.corporateNumber}, registry update ${record.updateDate}` },
    { check: 'open', passed: closed === null, detail: closed ?? 'registration open' },
    compare('name', app.legalName, record.name, name),
    compare('prefecture', app.prefecture, record.prefectureName, normalizeAddress),
    compare('city', app.city, record.cityName, normalizeAddress),
    compare('street', app.street, record.streetNumber, normalizeAddress),
  ];
  return {
    matched: checks.every((c) => c.passed),
    checks,
    registered: { name: record.name, prefecture: record.prefectureName, city: record.cityName, street: record.streetNumber, updateDate: record.updateDate },
  };
}
