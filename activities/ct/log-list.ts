/**
 * The configured CT log list (issuance cycle step 8; config CA_CT_LOG_LIST): the `log_list.json` that Chrome and
 * Apple publish, in its v3 schema — what a real CA ingests — operators, each with its RFC 6962 `logs` and its
 * static-ct-api `tiled_logs`:
 *
 *   { "version": "…", "log_list_timestamp": "2026-…Z",
 *     "operators": [ { "name": "…", "email": ["…"],
 *       "logs":       [ { "description": "…", "log_id": "<base64 SHA-256 of key>", "key": "<base64 DER SPKI>",
 *                         "url": "https://…/", "mmd": 86400, "state": { "usable": { "timestamp": "…" } },
 *                         "temporal_interval": { "start_inclusive": "…", "end_exclusive": "…" } } ],
 *       "tiled_logs": [ { …the same, with "submission_url" and "monitoring_url" instead of "url" } ] } ] }
 *
 * A log is known in this CA by its `description` (stored with its SCTs, named in failures and metrics), which must be
 * unique in the list, and its `log_id` must be the SHA-256 of its key (RFC 6962 3.2): otherwise the list is refused.
 * Only a log whose state is usable or qualified, and whose temporal interval (a shard's range of notAfter dates)
 * contains the certificate's notAfter, is submitted to and counts (Chrome CT policy; Apple likewise).
 * The file is read on use (cached by modification time), so a log can be retired without restarting the workers.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { logIdOf } from '../../pki/sct';

export const ctLogStates = ['pending', 'qualified', 'usable', 'readonly', 'retired', 'rejected'] as const;
export type CtLogState = (typeof ctLogStates)[number];

const instant = z.iso.datetime({ offset: true });
/** `{ "<state>": { "timestamp": … } }` with exactly one known state (readonly adds its final tree head). */
const stateSchema = z
  .record(z.string(), z.looseObject({ timestamp: instant }))
  .transform((s, ctx) => {
    const names = Object.keys(s);
    const name = names[0];
    if (names.length !== 1 || !(ctLogStates as readonly string[]).includes(name!)) {
      ctx.addIssue({ code: 'custom', message: `a log's state must be exactly one of ${ctLogStates.join(', ')}; got ${names.join(', ') || 'none'}` });
      return z.NEVER;
    }
    return name as CtLogState;
  });
const logFields = {
  description: z.string().min(1),
  log_id: z.string().min(1),
  key: z.string().min(1),
  /** Maximum merge delay (seconds). */
  mmd: z.number().int().nonnegative(),
  state: stateSchema,
  temporal_interval: z.object({ start_inclusive: instant, end_exclusive: instant }).optional(),
};
const rfc6962LogSchema = z.looseObject({ ...logFields, url: z.url() });
const tiledLogSchema = z.looseObject({ ...logFields, submission_url: z.url(), monitoring_url: z.url() });
const listSchema = z.looseObject({
  version: z.string().optional(),
  log_list_timestamp: instant.optional(),
  operators: z.array(
    z.looseObject({
      name: z.string().min(1),
      email: z.array(z.string()).default([]),
      logs: z.array(rfc6962LogSchema).default([]),
      tiled_logs: z.array(tiledLogSchema).default([]),
    }),
  ),
});

/** One log as this CA uses it: the flat view of a list entry (and what ctLogListV3 writes back). */
export interface CtLogEntry {
  /** The log's `description`, its name in this CA. */
  readonly id: string;
  /** Where add-pre-chain goes (the client appends /ct/v1/add-pre-chain): `url`, or a tiled log's `submission_url`. */
  readonly url: string;
  /** A tiled log's `monitoring_url` (where its tiles are read); RFC 6962 logs are read at `url`. */
  readonly monitoringUrl?: string;
  /** Base64 DER SubjectPublicKeyInfo (`key`). */
  readonly publicKey: string;
  readonly operator: string;
  /** `logs` are RFC 6962 logs, `tiled_logs` static-ct-api logs (POLICY-2026: at least one RFC 6962 log). */
  readonly api: 'rfc6962' | 'static-ct';
  readonly state: CtLogState;
  /** Maximum merge delay, seconds (default 86400). */
  readonly mmd?: number;
  /** The notAfter range the log (shard) accepts: [startInclusive, endExclusive), ISO 8601. */
  readonly temporalInterval?: { readonly startInclusive: string; readonly endExclusive: string };
}

export interface CtLog extends CtLogEntry {
  readonly spkiDer: Uint8Array;
  /** RFC 6962 3.2 LogID = SHA-256(SPKI). */
  readonly keyId: Uint8Array;
}

let cache: { file: string; mtimeMs: number; size: number; logs: CtLog[] } | undefined;

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export function parseCtLogList(json: unknown): CtLog[] {
  const parsed = listSchema.parse(json);
  const names = new Set<string>();
  const keyIds = new Set<string>();
  const logs: CtLog[] = [];
  for (const op of parsed.operators) {
    const entries = [
      ...op.logs.map((l) => ({ l, api: 'rfc6962' as const, url: l.url, monitoringUrl: undefined })),
      ...op.tiled_logs.map((l) => ({ l, api: 'static-ct' as const, url: l.submission_url, monitoringUrl: l.monitoring_url })),
    ];
    for (const { l, api, url, monitoringUrl } of entries) {
      if (names.has(l.description)) throw new Error(`CT log list: two logs are described as ${JSON.stringify(l.description)}`);
      names.add(l.description);
      const spkiDer = new Uint8Array(Buffer.from(l.key, 'base64'));
      const keyId = logIdOf(spkiDer);
      if (base64(keyId) !== l.log_id) throw new Error(`CT log list: the log_id of ${l.description} is not the SHA-256 of its key (RFC 6962 3.2)`);
      if (keyIds.has(l.log_id)) throw new Error(`CT log list: log_id ${l.log_id} appears twice`);
      keyIds.add(l.log_id);
      logs.push({
        id: l.description,
        url: url.replace(/\/$/, ''),
        ...(monitoringUrl ? { monitoringUrl } : {}),
        publicKey: l.key,
        operator: op.name,
        api,
        state: l.state,
        mmd: l.mmd,
        ...(l.temporal_interval
          ? { temporalInterval: { startInclusive: l.temporal_interval.start_inclusive, endExclusive: l.temporal_interval.end_exclusive } }
          : {}),
        spkiDer,
        keyId,
      });
    }
  }
  return logs;
}

export function loadCtLogList(file: string): CtLog[] {
  const { mtimeMs, size } = statSync(file);
  if (cache && cache.file === file && cache.mtimeMs === mtimeMs && cache.size === size) return cache.logs;
  const logs = parseCtLogList(JSON.parse(readFileSync(file, 'utf8')));
  cache = { file, mtimeMs, size, logs };
  return logs;
}

/** Whether the log takes (and its SCTs count for) a certificate expiring at `notAfter`: its temporal interval. */
export function acceptsNotAfter(log: CtLogEntry, notAfter: Date): boolean {
  if (!log.temporalInterval) return true;
  const t = notAfter.getTime();
  return Date.parse(log.temporalInterval.startInclusive) <= t && t < Date.parse(log.temporalInterval.endExclusive);
}

/**
 * Logs a CA may submit a certificate expiring at `notAfter` to, and whose SCTs count: state Qualified or Usable
 * (Chrome's CT policy; pending, readonly, retired and rejected logs are not used) and `notAfter` in the temporal
 * interval.
 */
export const submittable = <T extends CtLogEntry>(logs: readonly T[], notAfter: Date): T[] =>
  logs.filter((l) => (l.state === 'usable' || l.state === 'qualified') && acceptsNotAfter(l, notAfter));

/**
 * The v3 document listing `logs` (the local TesseraCT logs, test lists): operators in order of first appearance,
 * RFC 6962 logs under `logs`, static-ct-api logs under `tiled_logs`, each state stamped `timestamp`.
 */
export function ctLogListV3(logs: readonly CtLogEntry[], opts: { timestamp?: Date; version?: string } = {}) {
  const stamp = (opts.timestamp ?? new Date()).toISOString();
  const operators = new Map<string, { name: string; email: string[]; logs: object[]; tiled_logs: object[] }>();
  for (const l of logs) {
    const op = operators.get(l.operator) ?? { name: l.operator, email: [], logs: [], tiled_logs: [] };
    operators.set(l.operator, op);
    const spki = new Uint8Array(Buffer.from(l.publicKey, 'base64'));
    const common = {
      description: l.id,
      log_id: base64(logIdOf(spki)),
      key: l.publicKey,
      mmd: l.mmd ?? 86_400,
      state: { [l.state]: { timestamp: stamp } },
      ...(l.temporalInterval ? { temporal_interval: { start_inclusive: l.temporalInterval.startInclusive, end_exclusive: l.temporalInterval.endExclusive } } : {}),
    };
    if (l.api === 'rfc6962') op.logs.push({ ...common, url: l.url });
    else op.tiled_logs.push({ ...common, submission_url: l.url, monitoring_url: l.monitoringUrl ?? l.url });
  }
  return { version: opts.version ?? '1', log_list_timestamp: stamp, operators: [...operators.values()] };
}
