/**
 * `npm run lint` enforces the layers of docs/ARCHITECTURE.md (eslint.config.js): this runs ESLint's Node API on
 * imports a layer must not make, and on the ones it may, at paths inside each layer.
 */
import { describe, expect, it } from 'vitest';
import { lintAs as lint } from '../support/eslint';

describe('forbidden imports fail lint', () => {
  it.each([
    ['activities → workflows', 'activities/example.ts', "import { orderWorkflowId } from '../workflows/contracts';", 'activities/ may not import workflows/'],
    ['db → workflows', 'db/repositories/example.ts', "import { orderWorkflowId } from '../../workflows/contracts';", 'db/ may not import workflows/'],
    ['domain → pki', 'domain/example.ts', "import { parseCsr } from '../pki/csr';", 'domain/ may not import pki/'],
    ['pki → db', 'pki/example.ts', "import { certificates } from '../db/schema';", 'pki/ may not import db/'],
    ['worker → api', 'worker/example.ts', "import { createApp } from '../api/app';", 'worker/ may not import api/'],
    ['worker → scripts', 'worker/example.ts', "import { readHsmPin } from '../scripts/lib/softhsm';", 'worker/ may not import scripts/'],
    ['api → worker', 'api/example.ts', "import { createMainWorker } from '../worker/main';", 'api/ may not import worker/'],
    ['workflows → a value import of activities', 'workflows/example.ts', "import { createStorageActivities } from '../activities/storage';", 'workflows/ import activities by type only'],
    ['domain → node:crypto', 'domain/example.ts', "import { createHash } from 'node:crypto';", 'run in the Temporal sandbox: no Node built-ins'],
    ['workflows → crypto (bare built-in)', 'workflows/example.ts', "import crypto from 'crypto';", 'run in the Temporal sandbox: no Node built-ins'],
    ['workflows → observability (the sandbox logs through the SDK)', 'workflows/example.ts', "import { log } from '../observability/log';", 'workflows/ may not import observability/'],
    ['observability → config', 'observability/example.ts', "import { loadConfig } from '../config';", 'observability/ may not import config/'],
  ])('%s', async (_name, file, code, message) => {
    const messages = await lint(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^@typescript-eslint\/no-restricted-imports: /);
    expect(messages[0]).toContain(message);
  });

  it('Buffer in domain/ (the workflow sandbox has none)', async () => {
    expect(await lint('domain/example.ts', 'export const b = Buffer.from("x");')).toEqual([
      'no-restricted-globals: Unexpected use of \'Buffer\'. No Buffer in the workflow sandbox; use Uint8Array.',
    ]);
  });
});

describe('allowed imports pass', () => {
  it.each([
    ['workflows → import type of activities', 'workflows/example.ts', "import type { createStorageActivities } from '../activities/storage';\nexport type S = typeof createStorageActivities;"],
    ['workflows → domain', 'workflows/example.ts', "import { orderWorkflowId } from '../domain/workflow-ids';\nexport const id = orderWorkflowId;"],
    ['activities → db, pki, domain, config', 'activities/example.ts', "import { auditLog } from '../db/schema';\nimport { pemEncode } from '../pki/pem';\nimport { allFailureKinds } from '../domain/errors';\nimport { loadConfig } from '../config';\nexport const all = [auditLog, pemEncode, allFailureKinds, loadConfig];"],
    ['activities → observability', 'activities/example.ts', "import { log } from '../observability/log';\nexport const l = log;"],
    ['api → temporal', 'api/example.ts', "import { connectCaClient } from '../temporal/connection';\nexport const c = connectCaClient;"],
    ['a test beside a layer may reach across (tests are not a layer)', 'domain/example.test.ts', "import { createHash } from 'node:crypto';\nexport const h = createHash;"],
  ])('%s', async (_name, file, code) => {
    expect(await lint(file, code)).toEqual([]);
  });
});
