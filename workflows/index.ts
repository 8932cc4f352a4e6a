// Every workflow the main worker registers (bundled by @temporalio/worker; keep imports sandbox-safe).
export { issueCertificate } from './issueCertificate';
export { refreshOcsp } from './refreshOcsp';
// Issue #5: revocation, key-compromise reports, CRL publication.
export { keyCompromise } from './keyCompromise';
export { publishCrl } from './publishCrl';
export { revokeCertificate } from './revokeCertificate';
