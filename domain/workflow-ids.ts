/**
 * Workflow and schedule ids come from business keys (ARCHITECTURE.md convention 8): one issuance workflow per order,
 * one revocation workflow per certificate at a time, one CRL publisher per issuing CA. Pure, so the repositories
 * (which store an order's workflow id), the workflows and the Temporal client all derive the same ids.
 */
export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;
/** A repeated revocation request joins the running workflow of the same serial. */
export const revocationWorkflowId = (serial: string): string => `revoke-${serial}`;
export const keyCompromiseWorkflowId = (reportId: string): string => `key-compromise-${reportId}`;
/** The debounced per-issuer publisher that revocations signal-with-start. */
export const crlPublisherWorkflowId = (issuerId: string): string => `crl-${issuerId}`;
/** The Temporal Schedule of an issuer's CRL (CP 4.9.7: at least every 7 days) and the id its runs start with. */
export const crlScheduleId = (issuerId: string): string => `crl-schedule-${issuerId}`;
export const crlScheduledWorkflowId = (issuerId: string): string => `crl-scheduled-${issuerId}`;
/** The OCSP refresh Schedule (responder certificates and pre-signed responses, BR 4.9.10) and its runs. */
export const ocspRefreshScheduleId = 'ocsp-refresh';
export const ocspRefreshWorkflowId = 'ocsp-refresh';
/** The audit checkpoint Schedule (every 10 minutes) and its runs; an operator's on-demand run has an id of its own. */
export const auditCheckpointScheduleId = 'audit-checkpoint';
export const auditCheckpointWorkflowId = 'audit-checkpoint';
export const auditCheckpointOnDemandWorkflowId = 'audit-checkpoint-now';
/** One organization vetting (CP 3.2.2.1, 3.2.5): the vetting row's id, so a re-vetting after expiry is a new workflow. */
export const vettingWorkflowId = (vettingId: string): string => `vetting-${vettingId}`;
/** One delivery workflow per notice of the outbox: a second start for the same notice is refused (sent once). */
export const noticeWorkflowId = (noticeId: string): string => `notice-${noticeId}`;
/** The expiry reminders of one certificate (30 and 7 days before notAfter), started when it is issued. */
export const expiryRemindersWorkflowId = (serial: string): string => `expiry-reminders-${serial}`;
/** One incident workflow per incident (CCADB incident reporting; CP 4.9.1). */
export const incidentWorkflowId = (incidentId: string): string => `incident-${incidentId}`;
/** The final CRL an incident publishes for one issuing key: a run of publishCrl per (incident, issuer). */
export const incidentCrlWorkflowId = (incidentId: string, issuerId: string): string => `incident-${incidentId}-crl-${issuerId}`;
/** CP 5.6: one changeover per CA and next key generation, so a daily check that finds it due again joins it. */
export const keyChangeoverWorkflowId = (caId: string, generation: number): string => `key-changeover-${caId}-${generation}`;
/** The daily Schedule that looks for issuing CA certificates close to the end of their usefulness (CP 5.6). */
export const keyChangeoverCheckScheduleId = 'key-changeover-check';
export const keyChangeoverCheckWorkflowId = 'key-changeover-check';
/** The quarterly self-audit Schedule (BR 8.7) and its runs. */
export const selfAuditScheduleId = 'self-audit';
export const selfAuditWorkflowId = 'self-audit';
