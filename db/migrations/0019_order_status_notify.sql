-- Every change of an order's status is announced on the channel `order_status` (payload "<order id> <new status>"),
-- so an ACME finalize can answer with the issued certificate when issuance is quick (RFC 8555 §7.4 allows either a
-- processing or a valid order) without polling the table: api/acme/orders.ts waits on db/order-status-events.ts.
-- NOTIFY is delivered at commit and only then; it needs no privilege, so the runtime roles' updates fire it as well.
CREATE OR REPLACE FUNCTION orders_notify_status() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('order_status', NEW.id::text || ' ' || NEW.status);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER orders_notify_status AFTER UPDATE OF status ON orders
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION orders_notify_status();
