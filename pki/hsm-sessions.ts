/**
 * The PKCS#11 session pool of the signer (pki/hsm.ts): a fixed number of sessions, one operation at a time each
 * (CKR_OPERATION_ACTIVE otherwise), and the replacement of a session the token lost.
 */
import pkcs11js from 'pkcs11js';

export type Handle = Buffer;

export function isPkcs11Error(e: unknown, code: number): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/**
 * Return values after which the session is gone, or the login and the object handles with it (PKCS#11 v2.40 §5.6:
 * closing the application's last session on a token logs it out; a restarted token knows none of the old handles).
 * The operation is worth one more attempt on a fresh session; any other error is the operation's own.
 */
const sessionLost = [
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_USER_NOT_LOGGED_IN,
  pkcs11js.CKR_KEY_HANDLE_INVALID,
  pkcs11js.CKR_OBJECT_HANDLE_INVALID,
];
const isSessionLost = (e: unknown): boolean => sessionLost.some((code) => isPkcs11Error(e, code));

/**
 * A fixed number of sessions handed out one operation at a time, FIFO for fairness. A session the token lost is
 * replaced by a fresh one (`open`) and the operation tried once more on it.
 */
export class SessionPool {
  private readonly free: Handle[];
  private readonly waiters: Array<(s: Handle) => void> = [];
  private readonly sessions: Handle[];

  constructor(
    all: readonly Handle[],
    private readonly open: () => Handle,
    private readonly onLost: () => void,
  ) {
    this.sessions = [...all];
    this.free = [...all];
  }

  get all(): readonly Handle[] {
    return this.sessions;
  }

  acquire(): Promise<Handle> {
    const s = this.free.pop();
    if (s) return Promise.resolve(s);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(s: Handle): void {
    const next = this.waiters.shift();
    if (next) next(s);
    else this.free.push(s);
  }

  async use<T>(fn: (s: Handle) => Promise<T> | T): Promise<T> {
    let s = await this.acquire();
    try {
      try {
        return await fn(s);
      } catch (e) {
        if (!isSessionLost(e)) throw e;
        s = this.renew(s);
        return await fn(s);
      }
    } finally {
      this.release(s);
    }
  }

  /** Replaces a session the token no longer knows (the caller holds it) by a freshly opened one. */
  private renew(lost: Handle): Handle {
    this.onLost();
    const fresh = this.open();
    this.sessions[this.sessions.indexOf(lost)] = fresh;
    return fresh;
  }

  /** Waits until every session is back (no operation in flight) and keeps them. */
  async drain(): Promise<void> {
    const taken: Promise<Handle>[] = this.all.map(() => this.acquire());
    await Promise.all(taken);
  }
}
