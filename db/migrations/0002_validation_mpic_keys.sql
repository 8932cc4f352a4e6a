CREATE TABLE "blocked_keys" (
	"kind" text NOT NULL,
	"hash" "bytea" NOT NULL,
	"source" text NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "blocked_keys_kind_ck" CHECK ("blocked_keys"."kind" in ('spki-sha256', 'debian-modulus-sha1'))
);
--> statement-breakpoint
CREATE TABLE "corroborations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"authorization_id" uuid,
	"fqdn" text NOT NULL,
	"check" text NOT NULL,
	"method" text NOT NULL,
	"result" text NOT NULL,
	"quorum" jsonb NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "corroborations_check_ck" CHECK ("corroborations"."check" in ('dcv', 'caa')),
	CONSTRAINT "corroborations_result_ck" CHECK ("corroborations"."result" in ('pass', 'fail'))
);
--> statement-breakpoint
ALTER TABLE "validation_evidence" ADD COLUMN "check" text DEFAULT 'dcv' NOT NULL;--> statement-breakpoint
ALTER TABLE "validation_evidence" ADD COLUMN "region" text;--> statement-breakpoint
ALTER TABLE "validation_evidence" ADD COLUMN "corroboration_id" uuid;--> statement-breakpoint
ALTER TABLE "corroborations" ADD CONSTRAINT "corroborations_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "corroborations" ADD CONSTRAINT "corroborations_authorization_id_authorizations_id_fk" FOREIGN KEY ("authorization_id") REFERENCES "public"."authorizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "blocked_keys_kind_hash_uq" ON "blocked_keys" USING btree ("kind","hash");--> statement-breakpoint
CREATE INDEX "corroborations_order_idx" ON "corroborations" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "validation_evidence_corroboration_idx" ON "validation_evidence" USING btree ("corroboration_id");--> statement-breakpoint
ALTER TABLE "validation_evidence" ADD CONSTRAINT "validation_evidence_check_ck" CHECK ("validation_evidence"."check" in ('dcv', 'caa'));