import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The examples are runnable scripts that import the package by name; they
// are run here exactly as a user would run them.
const repo = resolve(__dirname, '..');

describe('examples', () => {
  it('examples/demo.mjs tells the whole story: datasets voted, model trained and adopted, outputs verified, tampering and revocation caught', () => {
    const work = mkdtempSync(join(tmpdir(), 'prov-demo-'));
    const out = execFileSync(process.execPath, [join(repo, 'examples', 'demo.mjs'), work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    expect(out).toContain('demo finished');
    expect(out).toContain('- datasets: poems, recipes approved; spam rejected by vote');
    expect(out).toContain('- model tiny-lm 1.0: weights signed, approved by vote');
    expect(out).toContain('{"verified":true,');
    expect(out).toContain('later outputs fail (ERR_REVOKED), earlier ones still verify');
    expect(out.match(/\(exit 1, as expected\)/g)?.length).toBe(4);
    // The model really was trained on the approved datasets only, and its weights are safetensors.
    const config = JSON.parse(readFileSync(join(work, 'tiny-lm', 'config.json'), 'utf8'));
    expect(config.trainedOn).toEqual(['poems', 'recipes']);
    expect(readFileSync(join(work, 'tiny-lm', 'model.safetensors')).readBigUInt64LE(0)).toBeGreaterThan(0n);
    // The store holds every kind of record the story made.
    const ls = execFileSync(process.execPath, [join(repo, 'dist', 'cli.js'), 'store', 'ls', '--store', join(work, '.provenant'), '--json'], { encoding: 'utf8' });
    const kinds = new Set((JSON.parse(ls) as { kind: string }[]).map((r) => r.kind));
    expect([...kinds].sort()).toEqual(['ballot', 'dataset', 'decision', 'electorate', 'model', 'output', 'proposal', 'weights']);
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
