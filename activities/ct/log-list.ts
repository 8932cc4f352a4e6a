/**
 * The configured CT log list (issuance cycle step 8): a JSON file (config CA_CT_LOG_LIST) in the spirit of the
 * browsers' log lists — for each log its id, submission URL, public key, operator, API kind and state:
 *
 *   { "logs": [ { "id": "local-a", "url": "http://127.0.0.1:16962/local-a", "publicKey": "<base64 DER SPKI>",
 *                 "operator": "Local Operator A", "api": "rfc6962", "state": "usable" } ] }
 *
 * Read on use (cached by modification time), so a log can be retired without restarting the workers.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { logIdOf } from '../../pki/sct';

const logSchema = z.object({
  id: z.string().min(1),
  /** Base URL; the client appends /ct/v1/add-pre-chain (RFC 6962 4.1). */
  url: z.string().url(),
  publicKey: z.string().min(1),
  operator: z.string().min(1),
  api: z.enum(['rfc6962', 'static-ct']),
  /** Chrome's log states: only usable/qualified logs count toward the CT policy. */
  state: z.enum(['pending', 'qualified', 'usable', 'readonly', 'retired', 'rejected']),
});
const listSchema = z.object({ logs: z.array(logSchema) });

export type CtLogEntry = z.infer<typeof logSchema>;
export interface CtLog extends CtLogEntry {
  readonly spkiDer: Uint8Array;
  /** RFC 6962 3.2 LogID = SHA-256(SPKI). */
  readonly keyId: Uint8Array;
}

let cache: { file: string; mtimeMs: number; size: number; logs: CtLog[] } | undefined;

export function parseCtLogList(json: unknown): CtLog[] {
  const parsed = listSchema.parse(json);
  const ids = new Set<string>();
  return parsed.logs.map((l) => {
    if (ids.has(l.id)) throw new Error(`CT log list: duplicate log id ${l.id}`);
    ids.add(l.id);
    const spkiDer = new Uint8Array(Buffer.from(l.publicKey, 'base64'));
    return { ...l, url: l.url.replace(/\/$/, ''), spkiDer, keyId: logIdOf(spkiDer) };
  });
}

export function loadCtLogList(file: string): CtLog[] {
  const { mtimeMs, size } = statSync(file);
  if (cache && cache.file === file && cache.mtimeMs === mtimeMs && cache.size === size) return cache.logs;
  const logs = parseCtLogList(JSON.parse(readFileSync(file, 'utf8')));
  cache = { file, mtimeMs, size, logs };
  return logs;
}

/** Logs a CA may submit to and whose SCTs count (Chrome: Qualified or Usable). */
export const submittable = (logs: readonly CtLog[]): CtLog[] => logs.filter((l) => l.state === 'usable' || l.state === 'qualified');
