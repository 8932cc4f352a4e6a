CREATE SEQUENCE "public"."crl_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "crls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"issuer_id" text NOT NULL,
	"crl_number" bigint NOT NULL,
	"this_update" timestamp with time zone NOT NULL,
	"next_update" timestamp with time zone NOT NULL,
	"entry_count" integer NOT NULL,
	"der" "bytea" NOT NULL,
	"sha256" "bytea" NOT NULL,
	"trigger" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"verified_at" timestamp with time zone,
	"verify_error" text,
	CONSTRAINT "crls_validity_ck" CHECK ("crls"."next_update" > "crls"."this_update" and "crls"."next_update" <= "crls"."this_update" + interval '10 days')
);
--> statement-breakpoint
CREATE TABLE "key_compromise_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"spki_sha256" "bytea" NOT NULL,
	"spki_der" "bytea" NOT NULL,
	"proof_kind" text NOT NULL,
	"proof" "bytea" NOT NULL,
	"proof_signature" "bytea",
	"status" text DEFAULT 'received' NOT NULL,
	"reporter_contact" text,
	"certificates_found" integer,
	"certificates_revoked" integer DEFAULT 0 NOT NULL,
	"error" text,
	"workflow_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deadline" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "key_compromise_reports_status_ck" CHECK ("key_compromise_reports"."status" in ('received', 'verified', 'rejected', 'revoking', 'completed')),
	CONSTRAINT "key_compromise_reports_proof_kind_ck" CHECK ("key_compromise_reports"."proof_kind" in ('privateKey', 'csr'))
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "provider_account_id" uuid;--> statement-breakpoint
ALTER TABLE "crls" ADD CONSTRAINT "crls_issuer_id_issuers_id_fk" FOREIGN KEY ("issuer_id") REFERENCES "public"."issuers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "crls_issuer_number_uq" ON "crls" USING btree ("issuer_id","crl_number");--> statement-breakpoint
CREATE INDEX "key_compromise_reports_spki_idx" ON "key_compromise_reports" USING btree ("spki_sha256");--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_provider_account_id_accounts_id_fk" FOREIGN KEY ("provider_account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "certificates_revoked_idx" ON "certificates" USING btree ("issuer_id","not_after") WHERE "certificates"."status" = 'revoked';