/**
 * A minimal RFC 6962 4.1 client: POST <log>/ct/v1/add-pre-chain with {"chain": [base64 DER, ...]} — the
 * precertificate first, then its issuer and the rest of the chain up to a root the log accepts.
 */
import { CaError } from '../../domain/errors';
import { sctFromAddChainResponse, type Sct } from '../../pki/sct';

export class CtLogHttpError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
  /** 4xx other than 408/429: the log refuses this chain; asking again will not change its mind. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export async function addPreChain(
  logUrl: string,
  chain: readonly Uint8Array[],
  opts: { timeoutMs: number; fetchImpl?: typeof fetch },
): Promise<Sct> {
  const doFetch = opts.fetchImpl ?? fetch;
  const res = await doFetch(`${logUrl}/ct/v1/add-pre-chain`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ chain: chain.map((c) => Buffer.from(c).toString('base64')) }),
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new CtLogHttpError(`add-pre-chain: HTTP ${res.status} ${text.slice(0, 200).trim()}`, res.status);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CaError('malformed', `add-pre-chain: the answer is not JSON: ${text.slice(0, 100)}`);
  }
  return sctFromAddChainResponse(json);
}
