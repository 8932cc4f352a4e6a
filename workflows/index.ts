// Every workflow the main worker registers (bundled by @temporalio/worker; keep imports sandbox-safe).
export { issueCertificate } from './issueCertificate';
