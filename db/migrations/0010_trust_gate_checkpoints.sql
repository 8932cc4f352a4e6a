CREATE TABLE "audit_checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sequence" bigint NOT NULL,
	"hash" "bytea" NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"key_label" text NOT NULL,
	"spki_sha256" "bytea" NOT NULL,
	"signature" "bytea" NOT NULL,
	CONSTRAINT "audit_checkpoints_hash_len_ck" CHECK (octet_length("audit_checkpoints"."hash") = 32 and octet_length("audit_checkpoints"."spki_sha256") = 32)
);
--> statement-breakpoint
ALTER TABLE "authorizations" ADD COLUMN "reused_from_authorization_id" uuid;--> statement-breakpoint
ALTER TABLE "corroborations" ADD COLUMN "caa_valid_until" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_checkpoints_sequence_uq" ON "audit_checkpoints" USING btree ("sequence");--> statement-breakpoint
ALTER TABLE "authorizations" ADD CONSTRAINT "authorizations_reused_from_authorization_id_authorizations_id_fk" FOREIGN KEY ("reused_from_authorization_id") REFERENCES "public"."authorizations"("id") ON DELETE no action ON UPDATE no action;