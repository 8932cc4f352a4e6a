-- The runtime role (0011_database_roles) gets SELECT, INSERT, UPDATE on new tables by default and DELETE only where a
-- service must remove rows. OV adds one such case: an organization registration whose vetting workflow could not be
-- started is withdrawn again — its organizations and vettings rows — so the applicant's retry finds nothing
-- half-stored (db/repositories/organizations.ts withdrawRegistration; the audit log keeps both entries).
GRANT DELETE ON organizations, vettings TO ca_runtime;
