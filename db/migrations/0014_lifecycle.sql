CREATE TABLE "notices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"recipient" text,
	"language" text NOT NULL,
	"data" jsonb NOT NULL,
	"account_id" uuid,
	"order_id" uuid,
	"serial" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"message_id" text,
	"smtp_response" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	CONSTRAINT "notices_kind_ck" CHECK ("notices"."kind" in ('certificate-issued', 'certificate-revoked', 'expiry-reminder', 'announcement')),
	CONSTRAINT "notices_status_ck" CHECK ("notices"."status" in ('pending', 'sent', 'failed')),
	CONSTRAINT "notices_language_ck" CHECK ("notices"."language" in ('ja', 'en'))
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "language" text DEFAULT 'ja' NOT NULL;--> statement-breakpoint
ALTER TABLE "acme_accounts" ADD COLUMN "accepted_documents" jsonb;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "superseded_by" text;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "superseded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "accepted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "accepted_via" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "acceptance" jsonb;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "predecessor_serial" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "renewal_kind" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "revoke_predecessor" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notices_idempotency_key_uq" ON "notices" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "notices_status_idx" ON "notices" USING btree ("status","created_at") WHERE "notices"."status" <> 'sent';--> statement-breakpoint
CREATE INDEX "notices_order_idx" ON "notices" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "notices_serial_idx" ON "notices" USING btree ("serial");--> statement-breakpoint
CREATE INDEX "orders_predecessor_idx" ON "orders" USING btree ("predecessor_serial");--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_language_ck" CHECK ("accounts"."language" in ('ja', 'en'));--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_accepted_via_ck" CHECK ("certificates"."accepted_via" in ('api', 'acme'));--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_renewal_kind_ck" CHECK ("orders"."renewal_kind" in ('renewal', 'rekey', 'modification'));