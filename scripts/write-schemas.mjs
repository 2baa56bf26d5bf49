#!/usr/bin/env node
// Write docs/schema/<kind>.v1.schema.json (and policy.v1.schema.json) from the
// TypeScript schema objects the validators use (src/records/schema/,
// src/verify/policy-schema.ts), so the published JSON Schemas
// cannot drift from what provenant enforces. test/schema.test.ts fails when
// they do.
//
//   node scripts/write-schemas.mjs           write the files
//   node scripts/write-schemas.mjs --check   exit 1 if any file is stale
//
// The TypeScript source is compiled in memory with esbuild (installed with
// tsup), so this needs neither a build nor a TypeScript loader.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'docs/schema');
const check = process.argv.includes('--check');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('write-schemas: esbuild is not installed (it comes with tsup; run npm install)');
  process.exit(2);
}

async function load(entry) {
  const built = await esbuild.build({
    entryPoints: [join(root, entry)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'error',
  });
  const code = built.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}
const mod = await load('src/records/schema/json-schema.ts');
// The trust policy's schema (src/verify/policy-schema.ts), which parsePolicy validates with.
const policy = await load('src/verify/policy-schema.ts');

await mkdir(outDir, { recursive: true });
const expected = new Map(mod.SCHEMA_KINDS.map((kind) => [mod.predicateSchemaFileName(kind), mod.predicateJsonSchemaText(kind)]));
expected.set(policy.POLICY_SCHEMA_FILE, policy.policyJsonSchemaText());
let stale = 0;
for (const [name, text] of expected) {
  const path = join(outDir, name);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) continue;
  stale++;
  if (check) console.error(`stale: ${pathToFileURL(path).pathname}`);
  else {
    await writeFile(path, text);
    console.error(`wrote ${name}`);
  }
}
for (const name of await readdir(outDir)) {
  if (name.endsWith('.schema.json') && !expected.has(name)) {
    stale++;
    console.error(`${check ? 'unexpected' : 'not generated (remove it by hand)'}: docs/schema/${name}`);
  }
}
if (check && stale > 0) process.exit(1);
if (!check && stale === 0) console.error('docs/schema is up to date');
