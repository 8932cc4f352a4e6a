CREATE TABLE "operator_sessions" (
	"token_sha256" "bytea" PRIMARY KEY NOT NULL,
	"operator_id" uuid NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "operators" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"roles" text[] NOT NULL,
	"password_hash" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "operators_status_ck" CHECK ("operators"."status" in ('active', 'disabled')),
	CONSTRAINT "operators_roles_ck" CHECK ("operators"."roles" <@ array['vetting-agent', 'approver']::text[])
);
--> statement-breakpoint
CREATE TABLE "organization_documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"vetting_id" uuid NOT NULL,
	"content_type" text NOT NULL,
	"file_name" text,
	"size" integer NOT NULL,
	"sha256" "bytea" NOT NULL,
	"content" "bytea" NOT NULL,
	"uploaded_by" uuid NOT NULL,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organization_documents_type_ck" CHECK ("organization_documents"."content_type" in ('application/pdf', 'image/png', 'image/jpeg')),
	CONSTRAINT "organization_documents_size_ck" CHECK ("organization_documents"."size" = octet_length("organization_documents"."content") and "organization_documents"."size" <= 5242880)
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"provider_account_id" uuid,
	"legal_name" text NOT NULL,
	"english_name" text,
	"corporate_number" text,
	"no_legal_personality" boolean DEFAULT false NOT NULL,
	"country" text DEFAULT 'JP' NOT NULL,
	"prefecture" text NOT NULL,
	"city" text NOT NULL,
	"street" text NOT NULL,
	"postal_code" text,
	"telephone" text NOT NULL,
	"representative_name" text NOT NULL,
	"representative_title" text NOT NULL,
	"representative_email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_country_ck" CHECK ("organizations"."country" = 'JP'),
	CONSTRAINT "organizations_legal_personality_ck" CHECK (("organizations"."corporate_number" is null) = "organizations"."no_legal_personality")
);
--> statement-breakpoint
CREATE TABLE "vetted_organizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"vetting_id" uuid NOT NULL,
	"source" text NOT NULL,
	"country" text NOT NULL,
	"state_or_province" text NOT NULL,
	"locality" text NOT NULL,
	"organization_name" text NOT NULL,
	"corporate_number" text,
	"approved_by" uuid NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"rule" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vetted_organizations_source_ck" CHECK ("vetted_organizations"."source" in ('registry', 'documents')),
	CONSTRAINT "vetted_organizations_window_ck" CHECK ("vetted_organizations"."valid_from" < "vetted_organizations"."valid_until")
);
--> statement-breakpoint
CREATE TABLE "vetting_evidence" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"vetting_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'submitted' NOT NULL,
	"operator_id" uuid,
	"data" jsonb NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	CONSTRAINT "vetting_evidence_kind_ck" CHECK ("vetting_evidence"."kind" in ('registry-match', 'document-check', 'callback', 'rejection', 'approval')),
	CONSTRAINT "vetting_evidence_status_ck" CHECK ("vetting_evidence"."status" in ('submitted', 'accepted', 'refused'))
);
--> statement-breakpoint
CREATE TABLE "vettings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"status" text DEFAULT 'matching' NOT NULL,
	"workflow_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"decided_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vettings_status_ck" CHECK ("vettings"."status" in ('matching', 'awaiting-documents', 'awaiting-callback', 'awaiting-approval', 'approved', 'rejected', 'expired'))
);
--> statement-breakpoint
CREATE TABLE "registry_corporations" (
	"sequence_number" text NOT NULL,
	"corporate_number" text PRIMARY KEY NOT NULL,
	"process" text NOT NULL,
	"correct" text NOT NULL,
	"update_date" date NOT NULL,
	"change_date" date,
	"name" text NOT NULL,
	"name_image_id" text,
	"kind" text NOT NULL,
	"prefecture_name" text NOT NULL,
	"city_name" text NOT NULL,
	"street_number" text NOT NULL,
	"address_image_id" text,
	"prefecture_code" text,
	"city_code" text,
	"post_code" text,
	"address_outside" text,
	"address_outside_image_id" text,
	"close_date" date,
	"close_cause" text,
	"successor_corporate_number" text,
	"change_cause" text,
	"assignment_date" date,
	"latest" text NOT NULL,
	"en_name" text,
	"en_prefecture_name" text,
	"en_city_name" text,
	"en_address_outside" text,
	"furigana" text,
	"hihyoji" text,
	"import_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "registry_imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"file_name" text NOT NULL,
	"sha256" "bytea" NOT NULL,
	"rows" integer NOT NULL,
	"inserted" integer NOT NULL,
	"updated" integer NOT NULL,
	"unchanged" integer NOT NULL,
	"closed" integer NOT NULL,
	"actor" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "acme_accounts" ADD COLUMN "organization_id" uuid;--> statement-breakpoint
ALTER TABLE "acme_eab_keys" ADD COLUMN "organization_id" uuid;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "organization_id" uuid;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "vetted_organization_id" uuid;--> statement-breakpoint
ALTER TABLE "operator_sessions" ADD CONSTRAINT "operator_sessions_operator_id_operators_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_documents" ADD CONSTRAINT "organization_documents_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_documents" ADD CONSTRAINT "organization_documents_vetting_id_vettings_id_fk" FOREIGN KEY ("vetting_id") REFERENCES "public"."vettings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_documents" ADD CONSTRAINT "organization_documents_uploaded_by_accounts_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_provider_account_id_accounts_id_fk" FOREIGN KEY ("provider_account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vetted_organizations" ADD CONSTRAINT "vetted_organizations_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vetted_organizations" ADD CONSTRAINT "vetted_organizations_vetting_id_vettings_id_fk" FOREIGN KEY ("vetting_id") REFERENCES "public"."vettings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vetted_organizations" ADD CONSTRAINT "vetted_organizations_approved_by_operators_id_fk" FOREIGN KEY ("approved_by") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vetting_evidence" ADD CONSTRAINT "vetting_evidence_vetting_id_vettings_id_fk" FOREIGN KEY ("vetting_id") REFERENCES "public"."vettings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vetting_evidence" ADD CONSTRAINT "vetting_evidence_operator_id_operators_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vettings" ADD CONSTRAINT "vettings_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vettings" ADD CONSTRAINT "vettings_decided_by_operators_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registry_corporations" ADD CONSTRAINT "registry_corporations_import_id_registry_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."registry_imports"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "operator_sessions_operator_idx" ON "operator_sessions" USING btree ("operator_id");--> statement-breakpoint
CREATE UNIQUE INDEX "operators_name_uq" ON "operators" USING btree ("name");--> statement-breakpoint
CREATE INDEX "organization_documents_vetting_idx" ON "organization_documents" USING btree ("vetting_id");--> statement-breakpoint
CREATE INDEX "organizations_account_idx" ON "organizations" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "organizations_corporate_number_idx" ON "organizations" USING btree ("corporate_number");--> statement-breakpoint
CREATE UNIQUE INDEX "vetted_organizations_vetting_uq" ON "vetted_organizations" USING btree ("vetting_id");--> statement-breakpoint
CREATE INDEX "vetted_organizations_organization_idx" ON "vetted_organizations" USING btree ("organization_id","valid_until");--> statement-breakpoint
CREATE INDEX "vetting_evidence_vetting_idx" ON "vetting_evidence" USING btree ("vetting_id");--> statement-breakpoint
CREATE INDEX "vettings_organization_idx" ON "vettings" USING btree ("organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "vettings_workflow_id_uq" ON "vettings" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "registry_imports_sha256_idx" ON "registry_imports" USING btree ("sha256");--> statement-breakpoint
ALTER TABLE "acme_accounts" ADD CONSTRAINT "acme_accounts_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acme_eab_keys" ADD CONSTRAINT "acme_eab_keys_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_vetted_organization_id_vetted_organizations_id_fk" FOREIGN KEY ("vetted_organization_id") REFERENCES "public"."vetted_organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "orders_organization_idx" ON "orders" USING btree ("organization_id");