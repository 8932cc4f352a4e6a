/**
 * Writes that can never succeed are not retried forever (docs/RELIABILITY.md). Against a real PostgreSQL: the error
 * of a write the database refuses for what it is (NOT NULL, CHECK, foreign key) becomes a non-retryable
 * `invariantViolated` failure, read from its SQLSTATE (db/errors.ts, worker/failure-interceptor.ts); an error a retry
 * can cure (a connection refused, a unique violation another writer won) stays retryable. And evidence without raw
 * answers — the perspective or server never answered — is stored as such, not refused by the NOT NULL column.
 */
import { ApplicationFailure } from '@temporalio/common';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permanentDatabaseFailure } from '../../db/errors';
import { createAccount, createOrder, toJsonData } from '../../db/repositories';
import { recordCorroboration } from '../../db/repositories/corroborations';
import { recordEvidence } from '../../db/repositories/validation';
import { validationEvidence } from '../../db/schema';
import { isCaError } from '../../domain/errors';
import { toActivityFailure } from '../../worker/failure-interceptor';
import { freshDatabase, storedDvOrder } from '../support/database';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let challengeId: string;
let authorizationId: string;
let orderId: string;
const fqdn = 'www.example.dev.test';

/** The error a statement fails with (the test fails if it succeeds). */
async function failureOf(statement: () => Promise<unknown>): Promise<unknown> {
  try {
    await statement();
  } catch (e) {
    return e;
  }
  throw new Error('the statement succeeded');
}

beforeAll(async () => {
  fresh = await freshDatabase();
  const { account } = await createAccount(fresh.handle.db, { name: 'Write Failures' });
  const order = await createOrder(fresh.handle.db, storedDvOrder(account.id, fqdn));
  orderId = order.id;
  authorizationId = order.authorizations[0]!.id;
  challengeId = order.authorizations[0]!.challenges[0]!.id;
});
afterAll(async () => {
  await fresh?.drop();
});

describe('a write PostgreSQL refuses for what it is', () => {
  it.each([
    ['NOT NULL (23502): evidence with SQL NULL raw answers', '23502', () =>
      fresh.handle.db.insert(validationEvidence).values({ challengeId, fqdn, authorizationDomainName: fqdn, method: 'BR 3.2.2.4.7', perspective: 'x', query: 'q', rawAnswers: null, result: 'failure' })],
    ['CHECK (23514): an order status no code knows', '23514', () => fresh.handle.sql`update orders set status = 'bogus' where id = ${orderId}`],
    ['foreign key (23503): evidence of a challenge that does not exist', '23503', () =>
      fresh.handle.db.insert(validationEvidence).values({ challengeId: '00000000-0000-4000-8000-000000000000', fqdn, authorizationDomainName: fqdn, method: 'm', perspective: 'x', query: 'q', rawAnswers: [], result: 'failure' })],
    ['data exception (22P02): text where a uuid belongs', '22P02', () => fresh.handle.sql`select * from orders where id = ${'not-a-uuid'}`],
  ])('%s fails as invariantViolated, not retryable', async (_what, sqlstate, statement) => {
    const err = await failureOf(statement);
    const ca = permanentDatabaseFailure(err);
    expect(ca?.kind).toBe('invariantViolated');
    expect(ca?.details.sqlstate).toBe(sqlstate);
    const failure = toActivityFailure(err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'invariantViolated', nonRetryable: true });
  });
});

describe('a database error a retry can cure stays retryable', () => {
  it('a unique violation (another writer won; the retry reads its row back)', async () => {
    const err = await failureOf(() => fresh.handle.sql`insert into orders select * from orders where id = ${orderId}`);
    expect(permanentDatabaseFailure(err)).toBeNull();
    expect(toActivityFailure(err)).toBe(err);
  });

  it('a server that is not there (restarting)', async () => {
    const gone = postgres('postgres://ca@127.0.0.1:1/ca', { max: 1, connect_timeout: 2, onnotice: () => {} });
    const err = await failureOf(() => gone`select 1`);
    await gone.end({ timeout: 1 });
    expect(permanentDatabaseFailure(err)).toBeNull();
    expect(toActivityFailure(err)).toBe(err);
  });

  it('audit data that can never be hashed is refused as invariantViolated, not as a generic (retried) error', () => {
    let err: unknown;
    try {
      toJsonData({ n: Number.NaN });
    } catch (e) {
      err = e;
    }
    expect(isCaError(err) && err.kind).toBe('invariantViolated');
  });
});

describe('evidence without raw answers (BR 5.4.1: the fact that nothing came back is the evidence)', () => {
  it('a corroboration round with an unreachable perspective is stored', async () => {
    await recordCorroboration(fresh.handle.db, {
      orderId,
      authorizationId,
      challengeId,
      fqdn,
      check: 'dcv',
      method: 'BR 3.2.2.4.7',
      passed: true,
      quorum: { reason: '4/5 remote perspectives corroborate' },
      roundKey: 'run:step3:dcv',
      evidence: [
        { perspective: 'dev-afrinic', region: 'AFRINIC', resolver: 'unknown', outcome: 'error', detail: 'perspective unavailable: activity ScheduleToClose timeout', query: 'DCV', authorizationDomainName: '', raw: null, checkedAt: new Date().toISOString() },
      ],
    });
    const [row] = await fresh.handle.sql`select raw_answers, result from validation_evidence where perspective = 'dev-afrinic'`;
    expect(row).toMatchObject({ result: 'failure', raw_answers: { unavailable: 'perspective unavailable: activity ScheduleToClose timeout' } });
  });

  it('a failed round the workflow runs again leaves the authorization open', async () => {
    await recordCorroboration(fresh.handle.db, {
      orderId, authorizationId, challengeId, fqdn, check: 'caa', method: 'BR 3.2.2.8 (CAA)', passed: false, quorum: { reason: 'unreachable' }, roundKey: 'run:step3:caa', retrying: true, evidence: [],
    });
    const [a] = await fresh.handle.sql`select status from authorizations where id = ${authorizationId}`;
    expect(a!.status).toBe('pending');
    const [audit] = await fresh.handle.sql`select data from audit_log where event = 'mpic.failed' and order_id = ${orderId}`;
    expect(audit!.data).toMatchObject({ retrying: true });
  });

  it('a DCV attempt whose server never answered is stored', async () => {
    await recordEvidence(fresh.handle.db, challengeId, [
      { fqdn, authorizationDomainName: fqdn, method: 'BR 3.2.2.4.7', perspective: 'primary', resolver: null, query: 'q', rawAnswers: undefined, result: 'failure', detail: 'timed out' },
    ]);
    const [row] = await fresh.handle.sql`select raw_answers from validation_evidence where perspective = 'primary' and detail = 'timed out'`;
    expect(row!.raw_answers).toEqual({ unavailable: 'timed out' });
  });
});
