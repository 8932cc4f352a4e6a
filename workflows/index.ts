// Every workflow the main worker registers (bundled by @temporalio/worker; keep imports sandbox-safe).
export { issueCertificate } from './issueCertificate';
export { refreshOcsp } from './refreshOcsp';
// Revocation (CP 4.9.3–4.9.5), key-compromise reports (CP 4.9.12), CRL publication (CP 4.9.7).
export { keyCompromise } from './keyCompromise';
export { publishCrl } from './publishCrl';
export { revokeCertificate } from './revokeCertificate';
// The operator's duties: incidents (CP 4.9.1, BR 4.9.1.1), CA key changeover (CP 5.6), the self-audit (BR 8.7).
export { incidentResponse } from './incident';
export { checkKeyChangeover, keyChangeover } from './keyChangeover';
export { selfAudit } from './selfAudit';
