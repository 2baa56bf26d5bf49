import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The examples are runnable scripts that import the package by name; they
// are run here exactly as a user would run them.
const repo = resolve(__dirname, '..');

describe('examples', () => {
  it('examples/demo.mjs runs the whole chain and ends with tampering detected', () => {
    const work = mkdtempSync(join(tmpdir(), 'prov-demo-'));
    const out = execFileSync(process.execPath, [join(repo, 'examples', 'demo.mjs'), work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toContain('demo finished');
    expect(out).toContain('"verified": true');
    expect(out).toContain('(exit 1, as expected)');
    expect(existsSync(join(work, 'chain.car'))).toBe(true);
    // The CAR holds the model, its weights record and the dataset.
    const ls = execFileSync(process.execPath, [join(repo, 'dist', 'cli.js'), 'store', 'ls', '--store', join(work, 'chain.car'), '--json'], {
      encoding: 'utf8',
    });
    expect((JSON.parse(ls) as { kind: string }[]).map((r) => r.kind).sort()).toEqual(['dataset', 'model', 'weights']);
  });

  it('examples/verify-weights-at-startup.mjs accepts signed weights and refuses tampered ones', () => {
    const work = mkdtempSync(join(tmpdir(), 'prov-startup-'));
    const cli = (...args: string[]) => execFileSync(process.execPath, [join(repo, 'dist', 'cli.js'), ...args], { cwd: work, stdio: 'pipe' });
    execFileSync('cp', ['-r', join(repo, 'fixtures', 'tiny-model'), join(work, 'm')]);
    cli('keygen', '--out', 'k.pem');
    cli('model', 'sign', 'm', '--key', 'k.pem');
    const script = join(repo, 'examples', 'verify-weights-at-startup.mjs');
    const ok = spawnSync(process.execPath, [script, join(work, 'm'), join(work, 'k.pem.pub')], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('weights verified: m, 4 files');

    writeFileSync(join(work, 'm', 'vocab.json'), readFileSync(join(work, 'm', 'vocab.json'), 'utf8').replace('a', 'b'));
    const bad = spawnSync(process.execPath, [script, join(work, 'm'), join(work, 'k.pem.pub')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('ERR_MODEL_MISMATCH');
  });
});
