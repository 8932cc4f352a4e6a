/**
 * The workflow sandbox (ARCHITECTURE.md convention 2): bundling fails on a Node built-in or any other module the
 * sandbox cannot load, so a bad import in workflows/ or domain/ fails CI here, not in production.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

describe('workflow bundle', () => {
  it('bundles every workflow for the Temporal sandbox', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m), log() {} } as never,
    });
    expect(code).toContain('issueCertificate');
    expect(code.length).toBeGreaterThan(10_000);
  }, 120_000);
});
