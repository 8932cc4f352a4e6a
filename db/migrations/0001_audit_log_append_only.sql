-- The audit log is append-only (BR 5.4, 5.5; CP 5.4.3, 5.5.2; POLICY-2026 "Records": append-only and tamper-evident).
-- The hash chain (db/repositories/audit.ts) makes tampering detectable; these triggers make it impossible
-- through ordinary statements, whoever issues them. Only a superuser who disables the triggers can change rows,
-- and that change is then caught by verifyAuditChain.
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit records are kept for at least 7 years (CP 5.5.2) and never changed';
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
