CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kind" text DEFAULT 'subscriber' NOT NULL,
	"api_key_sha256" "bytea" NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_kind_ck" CHECK ("accounts"."kind" in ('subscriber', 'provider')),
	CONSTRAINT "accounts_status_ck" CHECK ("accounts"."status" in ('active', 'disabled'))
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"event" text NOT NULL,
	"order_id" uuid,
	"serial" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_hash" "bytea" NOT NULL,
	"hash" "bytea" NOT NULL,
	CONSTRAINT "audit_log_hash_len_ck" CHECK (octet_length("audit_log"."hash") = 32 and octet_length("audit_log"."prev_hash") = 32)
);
--> statement-breakpoint
CREATE TABLE "authorizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"fqdn" text NOT NULL,
	"wildcard" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"validated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "authorizations_status_ck" CHECK ("authorizations"."status" in ('pending', 'valid', 'invalid', 'expired'))
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"serial" text PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"issuer_id" text NOT NULL,
	"spki_sha256" "bytea" NOT NULL,
	"dns_names" jsonb NOT NULL,
	"status" text DEFAULT 'reserved' NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"precert_der" "bytea",
	"cert_der" "bytea",
	"revoked_at" timestamp with time zone,
	"revocation_reason" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "certificates_status_ck" CHECK ("certificates"."status" in ('reserved', 'precertificate', 'issued', 'revoked')),
	CONSTRAINT "certificates_serial_ck" CHECK ("certificates"."serial" ~ '^[1-9a-f][0-9a-f]*$')
);
--> statement-breakpoint
CREATE TABLE "challenges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"authorization_id" uuid NOT NULL,
	"method" text NOT NULL,
	"record_name" text,
	"token" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ready_at" timestamp with time zone,
	"validated_at" timestamp with time zone,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "challenges_status_ck" CHECK ("challenges"."status" in ('pending', 'processing', 'valid', 'invalid', 'expired'))
);
--> statement-breakpoint
CREATE TABLE "issuers" (
	"id" text PRIMARY KEY NOT NULL,
	"key_label" text NOT NULL,
	"subject_der" "bytea" NOT NULL,
	"spki_sha256" "bytea" NOT NULL,
	"key_identifier" "bytea" NOT NULL,
	"cert_der" "bytea",
	"csr_der" "bytea",
	"parent_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"profile" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"csr_der" "bytea" NOT NULL,
	"spki_sha256" "bytea" NOT NULL,
	"dns_names" jsonb NOT NULL,
	"validity_seconds" integer NOT NULL,
	"workflow_id" text NOT NULL,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_status_ck" CHECK ("orders"."status" in ('pending', 'ready', 'processing', 'valid', 'invalid', 'expired')),
	CONSTRAINT "orders_profile_ck" CHECK ("orders"."profile" in ('dv', 'ov'))
);
--> statement-breakpoint
CREATE TABLE "validation_evidence" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"challenge_id" uuid NOT NULL,
	"fqdn" text NOT NULL,
	"authorization_domain_name" text NOT NULL,
	"method" text NOT NULL,
	"perspective" text NOT NULL,
	"resolver" text,
	"query" text NOT NULL,
	"raw_answers" jsonb NOT NULL,
	"result" text NOT NULL,
	"detail" text,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "validation_evidence_result_ck" CHECK ("validation_evidence"."result" in ('success', 'failure'))
);
--> statement-breakpoint
ALTER TABLE "authorizations" ADD CONSTRAINT "authorizations_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "authorizations" ADD CONSTRAINT "authorizations_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_issuer_id_issuers_id_fk" FOREIGN KEY ("issuer_id") REFERENCES "public"."issuers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "challenges" ADD CONSTRAINT "challenges_authorization_id_authorizations_id_fk" FOREIGN KEY ("authorization_id") REFERENCES "public"."authorizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "validation_evidence" ADD CONSTRAINT "validation_evidence_challenge_id_challenges_id_fk" FOREIGN KEY ("challenge_id") REFERENCES "public"."challenges"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_api_key_sha256_uq" ON "accounts" USING btree ("api_key_sha256");--> statement-breakpoint
CREATE INDEX "audit_log_order_idx" ON "audit_log" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "authorizations_order_idx" ON "authorizations" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "authorizations_account_fqdn_idx" ON "authorizations" USING btree ("account_id","fqdn");--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_order_uq" ON "certificates" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "certificates_spki_idx" ON "certificates" USING btree ("spki_sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "challenges_token_uq" ON "challenges" USING btree ("token");--> statement-breakpoint
CREATE INDEX "challenges_authorization_idx" ON "challenges" USING btree ("authorization_id");--> statement-breakpoint
CREATE INDEX "orders_account_idx" ON "orders" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_workflow_id_uq" ON "orders" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "validation_evidence_challenge_idx" ON "validation_evidence" USING btree ("challenge_id");