CREATE TABLE "acme_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"jwk" jsonb NOT NULL,
	"jwk_thumbprint" text NOT NULL,
	"status" text DEFAULT 'valid' NOT NULL,
	"contact" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"terms_agreed_at" timestamp with time zone,
	"eab_key_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "acme_accounts_status_ck" CHECK ("acme_accounts"."status" in ('valid', 'deactivated', 'revoked'))
);
--> statement-breakpoint
CREATE TABLE "acme_eab_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"hmac_key" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"bound_at" timestamp with time zone,
	"acme_account_id" uuid,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "acme_eab_keys_hmac_len_ck" CHECK (octet_length("acme_eab_keys"."hmac_key") >= 32)
);
--> statement-breakpoint
CREATE TABLE "acme_orders" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"acme_account_id" uuid NOT NULL,
	"replaces" text,
	"replaces_serial" text,
	"finalized_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "challenges" ADD COLUMN "key_authorization" text;--> statement-breakpoint
ALTER TABLE "acme_accounts" ADD CONSTRAINT "acme_accounts_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acme_eab_keys" ADD CONSTRAINT "acme_eab_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acme_orders" ADD CONSTRAINT "acme_orders_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acme_orders" ADD CONSTRAINT "acme_orders_acme_account_id_acme_accounts_id_fk" FOREIGN KEY ("acme_account_id") REFERENCES "public"."acme_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "acme_accounts_jwk_thumbprint_uq" ON "acme_accounts" USING btree ("jwk_thumbprint");--> statement-breakpoint
CREATE INDEX "acme_accounts_account_idx" ON "acme_accounts" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "acme_eab_keys_account_idx" ON "acme_eab_keys" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "acme_orders_account_idx" ON "acme_orders" USING btree ("acme_account_id");--> statement-breakpoint
CREATE INDEX "acme_orders_replaces_serial_idx" ON "acme_orders" USING btree ("replaces_serial");