// The Temporal workflow sandbox has no Node built-ins, and domain/ is imported by workflows: keep both pure
// (ARCHITECTURE.md convention 2). A bad import fails `npm run lint` and the bundle test, not production.
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http',
  'http2', 'https', 'net', 'os', 'path', 'process', 'readline', 'stream', 'tls', 'url', 'util', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.data-test/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {},
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['node:*'], message: 'workflows/ and domain/ run in the Temporal sandbox: no Node built-ins.' }],
        paths: nodeBuiltins.map((name) => ({ name, message: 'workflows/ and domain/ run in the Temporal sandbox: no Node built-ins.' })),
      }],
      'no-restricted-globals': ['error',
        { name: 'Buffer', message: 'No Buffer in the workflow sandbox; use Uint8Array.' },
        { name: 'process', message: 'No process in the workflow sandbox.' },
      ],
    },
  },
);
