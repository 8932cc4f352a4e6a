-- One round trip per audit entry (db/repositories/audit.ts appendAudit): take the chain's advisory lock, read the
-- head, insert the entry chained to it. Before, the same took four statements (a savepoint, the lock, the read, the
-- insert) and two more outside a transaction — a sixth of every statement the issuance path sent.
-- The hash is computed here from the caller's canonical JSON body: SHA-256(prev_hash || body), exactly what
-- verification recomputes from the stored columns, so a body that does not match its columns is caught by
-- `audit verify` like any other broken entry.
-- VOLATILE plpgsql: under READ COMMITTED each statement takes a new snapshot, so the read after the lock sees the
-- previous holder's committed entry. The lock is transaction-scoped: inside the caller's transaction it is held
-- until that commits; called alone, the statement is its own transaction.
-- SECURITY INVOKER (the default): the runtime roles' INSERT and SELECT on audit_log are what it uses.
CREATE OR REPLACE FUNCTION audit_append(
  p_lock_key bigint, p_at timestamptz, p_actor text, p_event text, p_order_id uuid, p_serial text, p_data jsonb, p_body text
) RETURNS SETOF audit_log
  LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  prev bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock_key);
  SELECT hash INTO prev FROM audit_log ORDER BY id DESC LIMIT 1;
  prev := coalesce(prev, decode(repeat('00', 32), 'hex'));
  RETURN QUERY
    INSERT INTO audit_log (at, actor, event, order_id, serial, data, prev_hash, hash)
    VALUES (p_at, p_actor, p_event, p_order_id, p_serial, p_data, prev, sha256(prev || convert_to(p_body, 'UTF8')))
    RETURNING *;
END;
$$;
