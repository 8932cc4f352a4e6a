-- Least privilege in PostgreSQL (CP 5.4.4, 6.5.1; POLICY-2026 "Records": append-only and tamper-evident; docs/SECURITY.md).
-- Migrations run as the OWNER role, which owns every table, trigger and function. The services (API, ACME, OCSP
-- responder, workers, operator CLIs) connect as a login role that is a member of the group role ca_runtime, which
-- holds only the privileges the services use. Both roles exist before the first migration: scripts/lib/postgres.ts
-- ensureDatabaseRoles creates them for `npm start`, the tests and CI; docs/DEPLOYMENT.md shows the SQL for production.
-- The runtime role is not an owner, so it cannot ALTER a table (e.g. DISABLE TRIGGER), and not a superuser, so it
-- cannot SET session_replication_role = replica either.
GRANT USAGE ON SCHEMA public TO ca_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ca_runtime;
--> statement-breakpoint
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ca_runtime;
--> statement-breakpoint
-- Records written once and never changed (BR 5.4.1; CP 5.4.3, 5.5.2): the audit chain and its checkpoints, the
-- evidence of every check, the MPIC rounds, the lint reports, the SCTs, the blocklist, the responder certificates.
-- No UPDATE, and no DELETE or TRUNCATE on any of them.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_checkpoints, validation_evidence, corroborations, lint_reports,
  certificate_scts, blocked_keys, ocsp_responders FROM ca_runtime;
--> statement-breakpoint
-- The only rows a service deletes: an order (with its authorizations, challenges and evidence, ON DELETE CASCADE, run
-- with the owner's rights) or a key-compromise report whose workflow could not be started (db/repositories/orders.ts
-- deleteOrder, revocation.ts deleteKeyCompromiseReport), and used ACME nonces past their expiry (RFC 8555 §6.5: a
-- replay table, not a record). Nothing else is ever deleted (CP 5.5.2).
GRANT DELETE ON orders, key_compromise_reports, acme_used_nonces TO ca_runtime;
--> statement-breakpoint
-- Tables of later migrations start with the same default (SELECT, INSERT, UPDATE; no DELETE, no TRUNCATE); a migration
-- that adds an append-only table revokes UPDATE, one whose rows a service deletes grants DELETE, each saying why.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO ca_runtime;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO ca_runtime;
--> statement-breakpoint
-- Signed audit checkpoints are append-only like the log they sign, whoever issues the statement: the refusal of
-- migration 0001 now names the table it guards, and guards both.
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit records are kept for at least 7 years (CP 5.5.2) and never changed';
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_append_only
  BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
