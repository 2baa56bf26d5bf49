import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Signatures written by `provenant model sign` must be accepted by an
// independent Python implementation of the OMS verification rules (hint,
// PAE, ECDSA-with-curve-hash via `cryptography`, pathlib walk and ordering).
const PY = '/usr/bin/python3';
const hasCryptography = spawnSync(PY, ['-c', 'import cryptography'], { encoding: 'utf8' }).status === 0;
const repo = resolve(__dirname, '..');
const cli = join(repo, 'dist', 'cli.js');
const script = join(repo, 'test', 'interop', 'oms_verify.py');

function provenant(args: string[], cwd: string): string {
  return execFileSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function makeModel(dir: string): void {
  mkdirSync(join(dir, 'a', 'b'), { recursive: true });
  mkdirSync(join(dir, 'a-b'), { recursive: true });
  writeFileSync(join(dir, 'a', 'b', 'c.bin'), Buffer.alloc(1000, 7));
  writeFileSync(join(dir, 'a-b', 'x'), 'x');
  writeFileSync(join(dir, 'a.txt'), 'some text');
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'ignore-me'), 'not signed');
  mkdirSync(join(dir, '.git'), { recursive: true });
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main');
}

describe.skipIf(!hasCryptography)('OMS signatures verify with an independent Python verifier (python3-cryptography)', () => {
  for (const alg of ['p256', 'p384', 'ed25519'] as const) {
    for (const method of ['files', 'shards'] as const) {
      it(`${alg} key, ${method} serialization`, () => {
        const work = mkdtempSync(join(tmpdir(), 'prov-pyoms-'));
        const model = join(work, 'model');
        makeModel(model);
        provenant(['keygen', '--out', 'k.pem', '--alg', alg], work);
        const extra = method === 'shards' ? ['--method', 'shards', '--shard-size', '64'] : [];
        provenant(['model', 'sign', 'model', '--key', 'k.pem', '--ignore', 'model/ignore-me', ...extra], work);
        const ok = spawnSync(PY, [script, model, join(model, 'model.sig'), join(work, 'k.pem.pub')], { encoding: 'utf8' });
        expect(ok.stdout.trim()).toMatch(/^OK \d+$/);
        expect(ok.status).toBe(0);

        // The same verifier rejects a tampered model, so the check above can fail.
        writeFileSync(join(model, 'a.txt'), 'SOME text'); // same length: a digest change, not a shard change
        const bad = spawnSync(PY, [script, model, join(model, 'model.sig'), join(work, 'k.pem.pub')], { encoding: 'utf8' });
        expect(bad.status).toBe(1);
        expect(bad.stdout).toContain('digest mismatch');
      });
    }
  }

  it('a single-file model', () => {
    const work = mkdtempSync(join(tmpdir(), 'prov-pyoms-'));
    cpSync(join(repo, 'fixtures', 'tiny-model', 'weights.bin'), join(work, 'weights.bin'));
    provenant(['keygen', '--out', 'k.pem', '--alg', 'p384'], work);
    provenant(['model', 'sign', 'weights.bin', '--key', 'k.pem'], work);
    const ok = spawnSync(PY, [script, join(work, 'weights.bin'), join(work, 'weights.bin.sig'), join(work, 'k.pem.pub')], {
      encoding: 'utf8',
    });
    expect(ok.stdout.trim()).toBe('OK 1');
  });
});
