/**
 * `npm run compose`: writes docker-compose.yml and the configuration it mounts from deploy/ (the Temporal server's
 * configuration template, its dynamic configuration, Prometheus's scrape configuration), generated from the stack's
 * tables (scripts/lib/compose.ts). `npm run compose -- --check` fails when a committed file differs from what would
 * be written (CI, and test/unit/compose.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../config';
import { composeFiles } from './lib/compose-files';

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [file, content] of Object.entries(composeFiles())) {
  const target = path.join(repoRoot, file);
  let current: string | undefined;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  if (check) stale.push(file);
  else {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}
if (stale.length > 0) {
  console.error(`out of date (run npm run compose): ${stale.join(', ')}`);
  process.exit(1);
}
