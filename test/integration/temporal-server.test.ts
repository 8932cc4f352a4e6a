/**
 * The Temporal dev server as the scripts start it: a headless in-memory server on a spare port must come up with the
 * CA's search attributes registered (the Web UI searches of ARCHITECTURE.md), be reused when already running, and stop.
 */
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { caSearchAttributes, ensureTemporalBinary, startTemporalDevServer } from '../../scripts/lib/temporal';

async function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

// IndexedValueType of temporal.api.enums.v1.
const expectedType = { Keyword: 2, KeywordList: 7 } as const;

describe('temporal dev server', () => {
  it('starts headless on a spare port with the CA namespace and the 4 search attributes, is reused, and stops', async () => {
    const binary = await ensureTemporalBinary();
    const port = await sparePort();
    const server = await startTemporalDevServer({ binary, port, namespace: 'ca-test' });
    try {
      expect(server.address).toBe(`127.0.0.1:${port}`);
      expect(server.reused).toBe(false);
      const connection = await Connection.connect({ address: server.address });
      try {
        const ns = await connection.workflowService.describeNamespace({ namespace: 'ca-test' });
        expect(ns.namespaceInfo?.name).toBe('ca-test');
        for (const namespace of ['ca-test', 'default']) {
          const sa = await connection.operatorService.listSearchAttributes({ namespace });
          for (const [name, type] of Object.entries(caSearchAttributes)) {
            expect(sa.customAttributes?.[name], `${namespace}: ${name}`).toBe(expectedType[type]);
          }
        }
      } finally {
        await connection.close();
      }

      const again = await startTemporalDevServer({ binary, port, namespace: 'ca-test' });
      expect(again.reused).toBe(true);
      await again.stop(); // a no-op for a reused server
      const still = await Connection.connect({ address: server.address });
      await expect(still.workflowService.getSystemInfo({})).resolves.toBeDefined();
      await still.close();
    } finally {
      await server.stop();
    }
    const probe = await Connection.connect({ address: server.address, connectTimeout: 1_000 }).then(
      async (c) => {
        const ok = await c.workflowService.getSystemInfo({}).then(() => true, () => false);
        await c.close();
        return ok;
      },
      () => false,
    );
    expect(probe).toBe(false);
  });
});
