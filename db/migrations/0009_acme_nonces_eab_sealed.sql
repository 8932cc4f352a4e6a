CREATE TABLE "acme_used_nonces" (
	"nonce_sha256" "bytea" PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "acme_eab_keys" ALTER COLUMN "hmac_key" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "acme_eab_keys" ADD COLUMN "hmac_key_sealed" "bytea";--> statement-breakpoint
CREATE INDEX "acme_used_nonces_expires_idx" ON "acme_used_nonces" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "acme_eab_keys" ADD CONSTRAINT "acme_eab_keys_sealed_ck" CHECK (("acme_eab_keys"."hmac_key" is null) <> ("acme_eab_keys"."hmac_key_sealed" is null));