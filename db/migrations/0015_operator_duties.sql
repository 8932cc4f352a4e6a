CREATE TABLE "incident_certificates" (
	"incident_id" uuid NOT NULL,
	"serial" text NOT NULL,
	"issuer_id" text NOT NULL,
	"account_id" uuid NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"state" text DEFAULT 'selected' NOT NULL,
	"revoked_at" timestamp with time zone,
	"note" text,
	CONSTRAINT "incident_certificates_incident_id_serial_pk" PRIMARY KEY("incident_id","serial"),
	CONSTRAINT "incident_certificates_state_ck" CHECK ("incident_certificates"."state" in ('selected', 'revoked', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "incident_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"event" text NOT NULL,
	"actor" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" text NOT NULL,
	"reason" integer NOT NULL,
	"cause" text,
	"criteria" jsonb NOT NULL,
	"status" text DEFAULT 'created' NOT NULL,
	"rate_per_second" double precision NOT NULL,
	"detected_at" timestamp with time zone NOT NULL,
	"deadline" timestamp with time zone NOT NULL,
	"deadline_rule" text NOT NULL,
	"workflow_id" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"selected_count" integer DEFAULT 0 NOT NULL,
	"revoked_count" integer DEFAULT 0 NOT NULL,
	"skipped_count" integer DEFAULT 0 NOT NULL,
	"alarm_raised_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"report" jsonb,
	CONSTRAINT "incidents_workflow_id_unique" UNIQUE("workflow_id"),
	CONSTRAINT "incidents_status_ck" CHECK ("incidents"."status" in ('created', 'selecting', 'notifying', 'revoking', 'publishing', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "renewal_overrides" (
	"serial" text PRIMARY KEY NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"incident_id" uuid
);
--> statement-breakpoint
CREATE TABLE "self_audit_samples" (
	"audit_id" uuid NOT NULL,
	"serial" text NOT NULL,
	"position" integer NOT NULL,
	"checked_at" timestamp with time zone,
	"verdict" text,
	"findings" jsonb,
	CONSTRAINT "self_audit_samples_audit_id_serial_pk" PRIMARY KEY("audit_id","serial")
);
--> statement-breakpoint
CREATE TABLE "self_audits" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"period_from" timestamp with time zone,
	"period_to" timestamp with time zone NOT NULL,
	"seed" text NOT NULL,
	"population" integer NOT NULL,
	"sample_size" integer NOT NULL,
	"status" text DEFAULT 'sampling' NOT NULL,
	"workflow_id" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"flagged" integer,
	"report" jsonb,
	CONSTRAINT "self_audits_status_ck" CHECK ("self_audits"."status" in ('sampling', 'checking', 'completed'))
);
--> statement-breakpoint
ALTER TABLE "issuers" ADD COLUMN "ca_id" text;--> statement-breakpoint
ALTER TABLE "issuers" ADD COLUMN "generation" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "issuers" ADD COLUMN "active_from" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "issuers" ADD COLUMN "retired_at" timestamp with time zone;--> statement-breakpoint
-- Hand-added (keep when regenerating): the keys stored before key changeover existed are each their CA's first key,
-- in use since they were stored (CP 5.6); then ca_id becomes NOT NULL as the schema says.
UPDATE "issuers" SET "ca_id" = "id", "active_from" = CASE WHEN "cert_der" IS NOT NULL THEN "created_at" END;--> statement-breakpoint
ALTER TABLE "issuers" ALTER COLUMN "ca_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "incident_certificates" ADD CONSTRAINT "incident_certificates_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_certificates" ADD CONSTRAINT "incident_certificates_serial_certificates_serial_fk" FOREIGN KEY ("serial") REFERENCES "public"."certificates"("serial") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_certificates" ADD CONSTRAINT "incident_certificates_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_events" ADD CONSTRAINT "incident_events_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "renewal_overrides" ADD CONSTRAINT "renewal_overrides_serial_certificates_serial_fk" FOREIGN KEY ("serial") REFERENCES "public"."certificates"("serial") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "renewal_overrides" ADD CONSTRAINT "renewal_overrides_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "self_audit_samples" ADD CONSTRAINT "self_audit_samples_audit_id_self_audits_id_fk" FOREIGN KEY ("audit_id") REFERENCES "public"."self_audits"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "self_audit_samples" ADD CONSTRAINT "self_audit_samples_serial_certificates_serial_fk" FOREIGN KEY ("serial") REFERENCES "public"."certificates"("serial") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "incident_certificates_state_idx" ON "incident_certificates" USING btree ("incident_id","state","serial");--> statement-breakpoint
CREATE INDEX "incident_certificates_account_idx" ON "incident_certificates" USING btree ("incident_id","account_id");--> statement-breakpoint
CREATE INDEX "incident_events_incident_idx" ON "incident_events" USING btree ("incident_id","at");--> statement-breakpoint
CREATE INDEX "self_audit_samples_position_idx" ON "self_audit_samples" USING btree ("audit_id","position");--> statement-breakpoint
CREATE INDEX "self_audits_period_idx" ON "self_audits" USING btree ("period_to");--> statement-breakpoint
CREATE UNIQUE INDEX "issuers_ca_generation_uq" ON "issuers" USING btree ("ca_id","generation");