// Layers (docs/ARCHITECTURE.md): each top-level folder may import only the folders below it, and workflows/ and
// domain/ run in the Temporal sandbox, so they import no Node built-ins. `npm run lint` enforces both;
// test/unit/lint-layers.test.ts proves that a forbidden import fails and an allowed one passes.
// Untrusted DER has one way in, pki/der.ts (size, depth and schema checks around asn1js, which throws on some
// malformed input): no other file calls asn1js's or pkijs's fromBER (test/unit/lint-untrusted-der.test.ts).
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http',
  'http2', 'https', 'net', 'os', 'path', 'process', 'readline', 'stream', 'tls', 'url', 'util', 'worker_threads', 'zlib',
];
const sandboxMessage = 'workflows/ and domain/ run in the Temporal sandbox: no Node built-ins.';

/** What each layer must not import (every other project folder is allowed). */
export const forbiddenImports = {
  // The logger and the metrics: below every layer that runs in Node, importing none of them.
  observability: ['domain', 'pki', 'db', 'config', 'activities', 'workflows', 'temporal', 'api', 'worker', 'scripts', 'test'],
  domain: ['pki', 'db', 'config', 'activities', 'workflows', 'temporal', 'api', 'worker', 'scripts', 'test', 'observability'],
  pki: ['db', 'config', 'activities', 'workflows', 'temporal', 'api', 'worker', 'scripts', 'test'],
  config: ['pki', 'db', 'activities', 'workflows', 'temporal', 'api', 'worker', 'scripts', 'test'],
  db: ['config', 'activities', 'workflows', 'temporal', 'api', 'worker', 'scripts', 'test'],
  activities: ['workflows', 'temporal', 'api', 'worker', 'scripts', 'test'],
  // workflows may use activity *types* only (allowTypeImports below): the implementations run in workers.
  // Workflows log through the SDK's `log` (the worker's runtime logger forwards it to observability/).
  workflows: ['pki', 'db', 'config', 'temporal', 'api', 'worker', 'scripts', 'test', 'observability'],
  temporal: ['pki', 'db', 'activities', 'api', 'worker', 'scripts', 'test'],
  api: ['activities', 'worker', 'scripts', 'test'],
  worker: ['api', 'scripts', 'test'],
};

const layerPatterns = (layer) => [
  ...forbiddenImports[layer].map((target) => ({
    regex: `^(\\.\\./)+${target}(/|$)`,
    message: `${layer}/ may not import ${target}/ (docs/ARCHITECTURE.md, "Layers").`,
  })),
  ...(layer === 'workflows'
    ? [{ regex: '^(\\.\\./)+activities(/|$)', allowTypeImports: true, message: 'workflows/ import activities by type only (proxyActivities).' }]
    : []),
  ...(layer === 'workflows' || layer === 'domain' ? [{ group: ['node:*'], message: sandboxMessage }] : []),
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'data-stack/**', '.data-test*/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {},
  },
  ...Object.keys(forbiddenImports).map((layer) => ({
    files: [`${layer}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: layerPatterns(layer),
        ...(layer === 'workflows' || layer === 'domain'
          ? { paths: nodeBuiltins.map((name) => ({ name, message: sandboxMessage })) }
          : {}),
      }],
    },
  })),
  {
    files: ['**/*.ts'],
    ignores: ['pki/der.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "Identifier[name='fromBER']",
        message: 'Untrusted DER goes through pki/der.ts (decodeDer, parseDer): no fromBER elsewhere.',
      }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error',
        { name: 'Buffer', message: 'No Buffer in the workflow sandbox; use Uint8Array.' },
        { name: 'process', message: 'No process in the workflow sandbox.' },
      ],
    },
  },
);
