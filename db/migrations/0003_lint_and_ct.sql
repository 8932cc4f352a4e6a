CREATE TABLE "certificate_scts" (
	"serial" text NOT NULL,
	"log_id" text NOT NULL,
	"log_key_id" "bytea" NOT NULL,
	"operator" text NOT NULL,
	"api" text NOT NULL,
	"sct" "bytea" NOT NULL,
	"sct_timestamp" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "certificate_scts_api_ck" CHECK ("certificate_scts"."api" in ('rfc6962', 'static-ct'))
);
--> statement-breakpoint
CREATE TABLE "lint_reports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"serial" text NOT NULL,
	"kind" text NOT NULL,
	"linter" text NOT NULL,
	"linter_version" text NOT NULL,
	"verdict" text NOT NULL,
	"tbs_sha256" "bytea" NOT NULL,
	"findings" jsonb NOT NULL,
	"linted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lint_reports_kind_ck" CHECK ("lint_reports"."kind" in ('precertificate', 'final')),
	CONSTRAINT "lint_reports_verdict_ck" CHECK ("lint_reports"."verdict" in ('pass', 'fail'))
);
--> statement-breakpoint
ALTER TABLE "certificate_scts" ADD CONSTRAINT "certificate_scts_serial_certificates_serial_fk" FOREIGN KEY ("serial") REFERENCES "public"."certificates"("serial") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lint_reports" ADD CONSTRAINT "lint_reports_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "certificate_scts_serial_log_uq" ON "certificate_scts" USING btree ("serial","log_id");--> statement-breakpoint
CREATE INDEX "lint_reports_order_idx" ON "lint_reports" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "lint_reports_serial_idx" ON "lint_reports" USING btree ("serial");