/**
 * The custom search attributes the CA registers in Temporal (ARCHITECTURE.md: operators find an order in the Web UI
 * by order id, FQDN, serial or status; an organization vetting by its state, corporate number or organization name). Pure data, no imports: the dev server start (scripts/lib/temporal.ts)
 * registers exactly these, and the typed keys in workflows/contracts.ts must mirror them.
 * Types are the `temporal server start-dev --search-attribute Name=Type` spellings (CLI v1.5.1).
 */
export const caSearchAttributes = {
  CaOrderId: 'Keyword',
  CaFqdns: 'KeywordList',
  CaSerial: 'Keyword',
  CaStatus: 'Keyword',
  CaVettingState: 'Keyword',
  CaCorporateNumber: 'Keyword',
  CaOrganizationName: 'Keyword',
  /** The incident an incidentResponse workflow works on: operators find an incident's workflow by it. */
  CaIncidentId: 'Keyword',
} as const;

export type CaSearchAttributeName = keyof typeof caSearchAttributes;
