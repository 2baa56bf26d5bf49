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
    // provenant/sigstore: the binding imports the core by its package name,
    // so at run time it shares the one copy of the core (and its error
    // classes) that `import 'provenant'` loads. The public-good trusted root
    // JSON is inlined.
    entry: { sigstore: 'bindings/sigstore/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    splitting: false,
    external: ['provenant'],
  },
  {
    // provenant/c2pa: like sigstore, the core is imported by its package name
    // (one shared copy at run time). The C2PA engine stays external and is
    // imported only on first use; its .wasm file is found at run time through
    // the engine package's own exports map (`@contentauth/c2pa-wasm/c2pa.wasm`).
    // cborg is ESM-only, so the CJS build carries its own copy.
    entry: { c2pa: 'bindings/c2pa/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    splitting: false,
    external: ['provenant', '@contentauth/c2pa-wasm'],
  },
  {
    entry: { c2pa: 'bindings/c2pa/index.ts' },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    splitting: false,
    external: ['provenant', '@contentauth/c2pa-wasm'],
    noExternal: [/^cborg/],
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
    // Bindings the CLI loads with `await import(...)` (sigstore, c2pa) become
    // their own chunks, so their packages load only when a flag needs them
    // (without splitting esbuild hoists @sigstore/* to cli.js's top: ~150 ms
    // on every command).
    splitting: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
