/**
 * CP 3.2.2.4.4 constructed e-mail: the e-mails sent for a challenge, each with its own random value, and their
 * confirmation through the API link. Every transition is audited in the same transaction.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import { authorizations, challenges, emailValidations, orders } from '../schema';
import { appendAudit } from './audit';
import type { DbOrTx } from './types';

export type EmailValidation = typeof emailValidations.$inferSelect;

/** The applicant chose `address` for the challenge (API "ready"); the workflow sends it. Idempotent per address. */
export async function requestEmailValidation(
  db: DbOrTx,
  input: { orderId: string; challengeId: string; accountId: string; address: string; token: string; expiresAt: Date },
): Promise<EmailValidation> {
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select()
      .from(emailValidations)
      .where(and(eq(emailValidations.challengeId, input.challengeId), eq(emailValidations.address, input.address), inArray(emailValidations.status, ['requested', 'sent'])));
    if (existing) return existing;
    const [row] = await tx
      .insert(emailValidations)
      .values({ challengeId: input.challengeId, address: input.address, token: input.token, expiresAt: input.expiresAt })
      .returning();
    await appendAudit(tx, {
      actor: `account:${input.accountId}`,
      event: 'email_validation.requested',
      orderId: input.orderId,
      data: { challengeId: input.challengeId, emailValidationId: row!.id, address: input.address },
    });
    return row!;
  });
}

export async function emailValidationsOf(db: DbOrTx, challengeId: string): Promise<EmailValidation[]> {
  return db.select().from(emailValidations).where(eq(emailValidations.challengeId, challengeId));
}

export async function markEmailSent(
  db: DbOrTx,
  input: { id: string; orderId: string; messageId: string; smtpResponse: string; sentAt: Date },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(emailValidations)
      .set({ status: 'sent', messageId: input.messageId, smtpResponse: input.smtpResponse, sentAt: input.sentAt })
      .where(and(eq(emailValidations.id, input.id), eq(emailValidations.status, 'requested')))
      .returning();
    if (!row) return;
    await appendAudit(tx, {
      actor: 'workflow',
      event: 'email_validation.sent',
      orderId: input.orderId,
      data: { emailValidationId: row.id, address: row.address, messageId: input.messageId },
    });
  });
}

/**
 * The recipient confirms with the random value of one e-mail: the row becomes `confirmed` (once). Returns the order
 * and challenge to signal; null for an unknown value; conflict when expired or no longer pending.
 */
export async function confirmEmailToken(db: DbOrTx, token: string, now: Date): Promise<{ orderId: string; challengeId: string; address: string } | null> {
  return db.transaction(async (tx) => {
    const [found] = await tx
      .select({ ev: emailValidations, orderId: authorizations.orderId, orderStatus: orders.status })
      .from(emailValidations)
      .innerJoin(challenges, eq(challenges.id, emailValidations.challengeId))
      .innerJoin(authorizations, eq(authorizations.id, challenges.authorizationId))
      .innerJoin(orders, eq(orders.id, authorizations.orderId))
      .where(eq(emailValidations.token, token))
      .for('update', { of: emailValidations });
    if (!found) return null;
    const { ev } = found;
    if (ev.status === 'confirmed') return { orderId: found.orderId, challengeId: ev.challengeId, address: ev.address };
    if (ev.status !== 'sent') throw new CaError('conflict', `this e-mail validation is ${ev.status}`);
    if (ev.expiresAt.getTime() <= now.getTime()) {
      throw new CaError('orderExpired', 'the random value has expired (CP 3.2.2.4.4: 25 days)', { rule: 'CP 3.2.2.4.4' });
    }
    await tx.update(emailValidations).set({ status: 'confirmed', confirmedAt: now }).where(eq(emailValidations.id, ev.id));
    await appendAudit(tx, {
      actor: `email:${ev.address}`,
      event: 'email_validation.confirmed',
      orderId: found.orderId,
      data: { emailValidationId: ev.id, challengeId: ev.challengeId, address: ev.address },
    });
    return { orderId: found.orderId, challengeId: ev.challengeId, address: ev.address };
  });
}
