import { defineConfig } from 'tsup';

// Three builds: the library (ESM + CJS + types), and two ESM-only entries that
// must be separate files at run time: the hashing worker (loaded by path from
// the pool, next to index.js) and the CLI (the package's bin).
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    splitting: false,
  },
  {
    entry: { 'hash-worker': 'src/digest/worker.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    splitting: false,
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    shims: true,
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
