/**
 * Certificate profiles (CP 1.1, 7.1.1; BR 7.1.2.7, 7.1.4.3).
 *
 * The CP has two products, DV and OV, each with its own issuing CA. An OV order names an organization whose vetting
 * (CP 3.2.2.1 / 3.2.5, the `vetOrganization` workflow) gives the subject's C, ST, L and O; the order waits in step 4
 * until that vetting is approved (docs/ISSUANCE-CYCLE.md).
 */

export const profileIds = ['dv', 'ov'] as const;
export type ProfileId = (typeof profileIds)[number];

export interface Profile {
  readonly id: ProfileId;
  /** Whether the API accepts new orders for this profile. */
  readonly acceptedViaApi: boolean;
  /** Why not, when it is not: shown in the problem document. */
  readonly notAcceptedReason?: string;
  /** BR 7.1.2.7.9 / CP 7.1.1: the CA/B Forum reserved policy OID of the profile. */
  readonly cabfPolicyOid: string;
  /** CP 7.1.1: the issuing CA's commonName. */
  readonly issuerCommonName: string;
}

export const profiles: Readonly<Record<ProfileId, Profile>> = {
  dv: {
    id: 'dv',
    acceptedViaApi: true,
    cabfPolicyOid: '2.23.140.1.2.1',
    issuerCommonName: 'JPRS Domain Validation Authority - G4',
  },
  ov: {
    id: 'ov',
    acceptedViaApi: true,
    cabfPolicyOid: '2.23.140.1.2.2',
    issuerCommonName: 'JPRS Organization Validation Authority - G4',
  },
};

/** The profile ids the API offers for new orders. */
export const offeredProfileIds: readonly ProfileId[] = profileIds.filter((id) => profiles[id].acceptedViaApi);

/**
 * The profile of what a CA issues (CP 1.3: the DV and the OV issuing CA), whichever of its keys signs (CP 5.6: a
 * changeover's next key is `ov-k2`, of CA `ov`): which subject a leaf gets and which pkilint type lints it.
 */
export function profileOfCa(caId: string): ProfileId {
  return caId === 'ov' ? 'ov' : 'dv';
}

/** Is `id` a profile the API accepts now? Unknown ids are refused with the reason. */
export function checkProfile(id: string): { ok: true; profile: Profile } | { ok: false; reason: string; rule: string } {
  const profile = (profileIds as readonly string[]).includes(id) ? profiles[id as ProfileId] : undefined;
  if (!profile) return { ok: false, reason: `unknown profile "${id}"; offered: ${offeredProfileIds.join(', ')}`, rule: 'CP 1.1' };
  if (!profile.acceptedViaApi) return { ok: false, reason: profile.notAcceptedReason ?? `profile "${id}" is not offered`, rule: 'CP 3.2.2.1' };
  return { ok: true, profile };
}

/** RFC 5280 Appendix A: ub-common-name = 64. */
export const MAX_COMMON_NAME_LENGTH = 64;

/**
 * The subject commonName for a certificate with these (already checked, normalized) SAN dNSNames: the first one that
 * fits in 64 characters, copied character for character (BR 7.1.4.3: the CN, if present, is one of the SAN values;
 * wildcards allowed). undefined when none fits: the BR would allow omitting the CN (then an empty subject and a
 * critical SAN, BR 7.1.2.7.12), but CP 7.1.1 makes the CN required, so the caller refuses such an order.
 */
export function commonNameFor(names: readonly string[]): string | undefined {
  return names.find((n) => n.length > 0 && n.length <= MAX_COMMON_NAME_LENGTH);
}
