CREATE TABLE "ocsp_responders" (
	"serial" text PRIMARY KEY NOT NULL,
	"issuer_id" text NOT NULL,
	"key_label" text NOT NULL,
	"cert_der" "bytea" NOT NULL,
	"key_hash" "bytea" NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ocsp_responses" (
	"serial" text PRIMARY KEY NOT NULL,
	"issuer_id" text NOT NULL,
	"cert_status" text NOT NULL,
	"this_update" timestamp with time zone NOT NULL,
	"next_update" timestamp with time zone NOT NULL,
	"responder_serial" text NOT NULL,
	"response_der" "bytea" NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ocsp_responses_cert_status_ck" CHECK ("ocsp_responses"."cert_status" in ('good', 'revoked'))
);
--> statement-breakpoint
ALTER TABLE "ocsp_responders" ADD CONSTRAINT "ocsp_responders_issuer_id_issuers_id_fk" FOREIGN KEY ("issuer_id") REFERENCES "public"."issuers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ocsp_responses" ADD CONSTRAINT "ocsp_responses_serial_certificates_serial_fk" FOREIGN KEY ("serial") REFERENCES "public"."certificates"("serial") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ocsp_responses" ADD CONSTRAINT "ocsp_responses_issuer_id_issuers_id_fk" FOREIGN KEY ("issuer_id") REFERENCES "public"."issuers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ocsp_responses" ADD CONSTRAINT "ocsp_responses_responder_serial_ocsp_responders_serial_fk" FOREIGN KEY ("responder_serial") REFERENCES "public"."ocsp_responders"("serial") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ocsp_responders_issuer_not_after_idx" ON "ocsp_responders" USING btree ("issuer_id","not_after");--> statement-breakpoint
CREATE INDEX "ocsp_responses_this_update_idx" ON "ocsp_responses" USING btree ("this_update");