/** zlint and pkilint run directly on a DER certificate file (independent checkers of what the CA signed). */
import { spawnSync } from 'node:child_process';
import { findPkilint, findZlint } from '../../pki/lint';

/** zlint run directly: the lints that report error or fatal. */
export function zlintErrors(file: string): string[] {
  const out = spawnSync(findZlint(), ['-format', 'der', file], { encoding: 'utf8' }).stdout;
  return Object.entries(JSON.parse(out) as Record<string, { result: string }>).filter(([, r]) => r.result === 'error' || r.result === 'fatal').map(([n]) => n);
}

/** pkilint run directly: the findings of severity ERROR or FATAL for the certificate type (e.g. OV-FINAL-CERTIFICATE). */
export function pkilintErrors(file: string, type: string): string[] {
  const out = spawnSync(findPkilint(), ['lint', '-t', type, '-f', 'JSON', '--document-format', 'DER', file], { encoding: 'utf8' }).stdout;
  const json = JSON.parse(out) as { results: Array<{ finding_descriptions: Array<{ severity: string; code: string }> }> };
  return json.results.flatMap((r) => r.finding_descriptions).filter((d) => d.severity === 'ERROR' || d.severity === 'FATAL').map((d) => d.code);
}
