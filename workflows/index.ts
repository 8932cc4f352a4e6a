// Every workflow the main worker registers (bundled by @temporalio/worker; keep imports sandbox-safe).
export { issueCertificate } from './issueCertificate';
export { refreshOcsp } from './refreshOcsp';
// Revocation (CP 4.9.3–4.9.5), key-compromise reports (CP 4.9.12), CRL publication (CP 4.9.7).
export { keyCompromise } from './keyCompromise';
export { publishCrl } from './publishCrl';
export { revokeCertificate } from './revokeCertificate';
// Signed checkpoints of the audit chain (CP 5.4.3), on a Schedule and on demand.
export { checkpointAudit } from './auditCheckpoint';
// Organization vetting for OV certificates (CP 3.2.2.1, 3.2.5).
export { vetOrganization } from './vetOrganization';
// The certificate's life cycle after issuance: notice deliveries (the outbox), expiry reminders (CP 4.3.2, 4.6–4.9).
export { deliverNotice } from './notices';
export { expiryReminders } from './expiryReminders';
// The operator's duties: incidents (CP 4.9.1, BR 4.9.1.1), CA key changeover (CP 5.6), the self-audit (BR 8.7).
export { incidentResponse } from './incident';
export { checkKeyChangeover, keyChangeover } from './keyChangeover';
export { selfAudit } from './selfAudit';
