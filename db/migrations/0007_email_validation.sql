CREATE TABLE "email_validations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"challenge_id" uuid NOT NULL,
	"address" text NOT NULL,
	"token" text NOT NULL,
	"status" text DEFAULT 'requested' NOT NULL,
	"message_id" text,
	"smtp_response" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "email_validations_status_ck" CHECK ("email_validations"."status" in ('requested', 'sent', 'confirmed', 'expired'))
);
--> statement-breakpoint
ALTER TABLE "email_validations" ADD CONSTRAINT "email_validations_challenge_id_challenges_id_fk" FOREIGN KEY ("challenge_id") REFERENCES "public"."challenges"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_validations_token_uq" ON "email_validations" USING btree ("token");--> statement-breakpoint
CREATE INDEX "email_validations_challenge_idx" ON "email_validations" USING btree ("challenge_id");