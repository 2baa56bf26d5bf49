import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The published package must work from both module systems, by name, with
// the hashing workers found next to the entry point in each case.
const repo = resolve(__dirname, '..');

function runScript(name: string, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'prov-pkg-'));
  const file = join(repo, 'test', `.tmp-${process.pid}-${name}`);
  writeFileSync(file, source.replaceAll('DIR', JSON.stringify(dir)));
  try {
    return execFileSync(process.execPath, [file], { encoding: 'utf8', cwd: repo });
  } finally {
    execFileSync('rm', ['-f', file]);
  }
}

const body = `
  const dir = DIR;
  const data = require('node:crypto').randomBytes(3 * 1024 * 1024 + 7);
  require('node:fs').writeFileSync(dir + '/w.bin', data);
  const expected = require('node:crypto').createHash('sha256').update(data).digest('hex');
  const pool = new p.HashPool({ inlineBelow: 0 });
  const digest = p.toHex(await p.hashFile(dir + '/w.bin', { pool }));
  await pool.destroy();
  const { privateKeyPem } = p.generateKeyPair('p256');
  const signer = await p.importSigner(privateKeyPem);
  const signed = await p.signModel(dir, { signer });
  const verified = await p.verifyModel(dir, { key: signer.publicKey });
  const store = new p.DirectoryStore(dir + '/store');
  const id = await store.put(JSON.stringify(signed.bundle.dsseEnvelope));
  await p.exportCar(store, [id], dir + '/c.car');
  const car = await p.CarStore.open(dir + '/c.car');
  const back = await car.get(id);
  console.log(JSON.stringify({ ok: digest === expected, model: verified.statement.modelName, same: back.id.equals(id) }));
`;

describe('package entry points', () => {
  it('require("provenant") (CJS) hashes in workers, signs, verifies, and reads CAR files', () => {
    const out = runScript('cjs.cjs', `const p = require('provenant');\n(async () => {${body}})();`);
    expect(JSON.parse(out)).toEqual({ ok: true, model: expect.stringMatching(/^prov-pkg-/), same: true });
  });

  it('import "provenant" (ESM) does the same', () => {
    const out = runScript('esm.mjs', `import * as p from 'provenant';\nimport { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${body}`);
    expect(JSON.parse(out)).toEqual({ ok: true, model: expect.stringMatching(/^prov-pkg-/), same: true });
  });
});
