/**
 * X.500 names (RFC 5280 4.1.2.4) for our profiles. BR 7.1.4.2 / CP 7.1.1: countryName is PrintableString, the
 * other attributes UTF8String (RFC 5280 4.1.2.6 MUST for new certificates), domainComponent IA5String (RFC 4519).
 * The attributes are written in the order given: callers pass the BR 7.1.4.2 order (DC, C, ST, L, postalCode,
 * street, O, OU, CN).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CaError } from '../domain/errors';
import { decodeDer } from './der';

export const id_at = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  streetAddress: '2.5.4.9',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  postalCode: '2.5.4.17',
  domainComponent: '0.9.2342.19200300.100.1.25',
} as const;

export type NameAttributeType = keyof typeof id_at;
export type NameAttribute = readonly [NameAttributeType, string];

const shortNames: Record<string, string> = {
  [id_at.commonName]: 'CN',
  [id_at.serialNumber]: 'serialNumber',
  [id_at.countryName]: 'C',
  [id_at.localityName]: 'L',
  [id_at.stateOrProvinceName]: 'ST',
  [id_at.streetAddress]: 'street',
  [id_at.organizationName]: 'O',
  [id_at.organizationalUnitName]: 'OU',
  [id_at.postalCode]: 'postalCode',
  [id_at.domainComponent]: 'DC',
};

function valueFor(type: NameAttributeType, value: string): asn1js.BaseStringBlock {
  switch (type) {
    case 'countryName':
      if (!/^[A-Z]{2}$/.test(value)) throw new CaError('malformed', `countryName must be two upper-case letters, got "${value}"`);
      return new asn1js.PrintableString({ value });
    case 'serialNumber':
      return new asn1js.PrintableString({ value });
    case 'domainComponent':
      return new asn1js.IA5String({ value });
    default:
      return new asn1js.Utf8String({ value });
  }
}

/**
 * One attribute per RDN (multi-valued RDNs are not used by our profiles). Encoded here rather than by pkijs, whose
 * RelativeDistinguishedNames.toSchema() puts every attribute into a single multi-valued RDN ("C=JP + O=... + CN=...").
 * The result is parsed back so pkijs re-emits these exact bytes (valueBeforeDecode).
 */
export function buildName(attributes: readonly NameAttribute[]): pkijs.RelativeDistinguishedNames {
  const rdns = attributes.map(
    ([type, value]) =>
      new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type: id_at[type], value: valueFor(type, value) }).toSchema()] }),
  );
  return nameFromDer(new Uint8Array(new asn1js.Sequence({ value: rdns }).toBER(false)));
}

export function nameToDer(name: pkijs.RelativeDistinguishedNames): Uint8Array {
  return new Uint8Array(name.toSchema().toBER(false));
}

export function buildNameDer(attributes: readonly NameAttribute[]): Uint8Array {
  return nameToDer(buildName(attributes));
}

/** Parses a Name from its DER, keeping the original bytes (pkijs re-encodes from valueBeforeDecode). */
export function nameFromDer(der: Uint8Array): pkijs.RelativeDistinguishedNames {
  return decodeDer(der, 'Name', pkijs.RelativeDistinguishedNames);
}

/** "C=JP, O=..., CN=..." for logs and the CLI (not an RFC 4514 string: no escaping, natural order). */
export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${shortNames[tv.type] ?? tv.type}=${(tv.value as asn1js.BaseStringBlock).valueBlock.value}`)
    .join(', ');
}

/** Values of one attribute type, in order (e.g. the CNs of a CSR subject). */
export function attributeValues(name: pkijs.RelativeDistinguishedNames, type: NameAttributeType): string[] {
  return name.typesAndValues
    .filter((tv) => tv.type === id_at[type])
    .map((tv) => String((tv.value as asn1js.BaseStringBlock).valueBlock.value));
}
