import { defineConfig } from 'tsup';

// Four builds: the library (ESM, and CJS, each with types), and two ESM-only entries that
// must be separate files at run time: the hashing worker (loaded by path from
// the pool, next to index.js) and the CLI (the package's bin).
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    splitting: false,
  },
  {
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    splitting: false,
    // @ipld/car's exports map offers only `import` for its subpaths, and
    // cborg (compact output receipts) is ESM-only, so `require` cannot reach
    // them: the CJS build carries its own copy.
    noExternal: [/^@ipld\/car/, /^cborg/],
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
