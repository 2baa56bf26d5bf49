/**
 * `provenant cert dev` and `provenant c2pa sign|read` through the built CLI
 * (dist/cli.js, a child process): files written, exit codes, --json, text
 * credentials, atomic replacement of the input, bad input by code, and a
 * credential's receipt leading into `provenant verify`. Needs the build (`npx tsup`).
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutputSigner } from '../src/outputs/signer.js';
import { makeJpeg, makePng } from './c2pa-images.mjs';
import { cleanupTemp, HAVE_DIST, makeTemp, runCli, type CliResult } from './helpers.js';
import { buildChain, type TestChain } from './verify-helpers.js';

afterAll(cleanupTemp);

function errorCode(r: CliResult): string | undefined {
  return /provenant: error (ERR_[A-Z_]+):/.exec(r.stderr)?.[1];
}

function expectError(r: CliResult, exit: number, code: string): void {
  expect({ exit: r.code, code: errorCode(r) }, r.stderr).toEqual({ exit, code });
  expect(r.stderr).not.toMatch(/internal error/);
}

describe.skipIf(!HAVE_DIST)('provenant cert dev', () => {
  it('writes ca.pem, chain.pem and key.pem (0600), labelled not for production, and never replaces them silently', async () => {
    const dir = await makeTemp('provenant-c2pa-cli-');
    const r = await runCli(['cert', 'dev', '--out', 'certs', '--alg', 'es384'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(r.stderr).toMatch(/NOT FOR PRODUCTION/);
    expect((await readdir(join(dir, 'certs'))).sort()).toEqual(['ca.pem', 'chain.pem', 'key.pem']);
    expect((await stat(join(dir, 'certs', 'key.pem'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'certs', 'ca.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    const again = await runCli(['cert', 'dev', '--out', 'certs'], { cwd: dir });
    expectError(again, 2, 'ERR_USAGE');
    const forced = await runCli(['cert', 'dev', '--out', 'certs', '--force', '--json', '--alg', 'ed25519'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ ca: join('certs', 'ca.pem'), algorithm: 'ed25519', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('refuses an unknown algorithm and a missing --out', async () => {
    expectError(await runCli(['cert', 'dev', '--out', 'x', '--alg', 'rsa']), 2, 'ERR_USAGE');
    expectError(await runCli(['cert', 'dev']), 2, 'ERR_USAGE');
  });
});

describe.skipIf(!HAVE_DIST)('provenant c2pa sign and read', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTemp('provenant-c2pa-cli-');
    expect((await runCli(['cert', 'dev', '--out', 'certs'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['cert', 'dev', '--out', 'other'], { cwd: dir })).code).toBe(0);
    await writeFile(join(dir, 'gen.png'), makePng(64, 48, 2));
    await writeFile(join(dir, 'gen.jpg'), makeJpeg(64, 48, 2));
  });
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  const signArgs = ['--cert', 'certs/chain.pem', '--key', 'certs/key.pem'];

  it('signs a PNG into --out and reads it: Trusted with --trust, Valid without, untrusted with another CA', async () => {
    const r = await cli('c2pa', 'sign', 'gen.png', ...signArgs, '--model', 'tiny-diffusion@1.2', '--out', 'signed.png');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('signed.png\n');
    expect(await readFile(join(dir, 'gen.png'))).toEqual(Buffer.from(makePng(64, 48, 2)));

    const trusted = await cli('c2pa', 'read', 'signed.png', '--trust', 'certs/ca.pem');
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stdout).toBe('Trusted\n');
    expect(trusted.stderr).toMatch(/action c2pa\.created \[trainedAlgorithmicMedia\] by tiny-diffusion 1\.2/);
    expect(trusted.stderr).toMatch(/training and mining: ai_generative_training=notAllowed/);

    const valid = await cli('c2pa', 'read', 'signed.png');
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stdout).toBe('Valid\n');
    expect(valid.stderr).toMatch(/signingCredential\.untrusted/);

    const untrusted = await cli('c2pa', 'read', 'signed.png', '--trust', 'other/ca.pem');
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/not trusted/);
  });

  it('--json: the state, every validation code, the manifests', async () => {
    await cli('c2pa', 'sign', 'gen.jpg', ...signArgs, '--out', 'signed.jpg', '--training', 'allowed', '--mining', 'constrained');
    const r = await cli('c2pa', 'read', 'signed.jpg', '--trust', 'certs/ca.pem', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ file: 'signed.jpg', present: true, mediaType: 'image/jpeg', state: 'Trusted', status: [] });
    expect(report.validation.success.map((s: { code: string }) => s.code)).toContain('assertion.dataHash.match');
    expect(report.active.trainingMining).toMatchObject({ 'cawg.ai_training': 'allowed', 'cawg.data_mining': 'constrained' });
    expect(report.manifestStore.active_manifest).toBe(report.activeLabel);
  });

  it('without --out replaces FILE only once the signed file is complete', async () => {
    await writeFile(join(dir, 'inplace.png'), makePng(32, 32, 7));
    const before = await readFile(join(dir, 'inplace.png'));
    // A key that is not the certificate's: nothing is written, FILE is untouched, no temporary file is left.
    const bad = await cli('c2pa', 'sign', 'inplace.png', '--cert', 'certs/chain.pem', '--key', 'other/key.pem');
    expectError(bad, 2, 'ERR_CERT_KEY_MISMATCH');
    expect(await readFile(join(dir, 'inplace.png'))).toEqual(before);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const ok = await cli('c2pa', 'sign', 'inplace.png', ...signArgs);
    expect(ok.code, ok.stderr).toBe(0);
    const after = await readFile(join(dir, 'inplace.png'));
    expect(after.length).toBeGreaterThan(before.length);
    expect((await cli('c2pa', 'read', 'inplace.png', '--trust', 'certs/ca.pem')).stdout).toBe('Trusted\n');
  });

  it('signs and reads text (--text); an edit of the visible text fails', async () => {
    await writeFile(join(dir, 'answer.txt'), 'The capital of France is Paris.\n');
    const r = await cli('c2pa', 'sign', 'answer.txt', '--text', ...signArgs, '--model', 'tiny-lm@1.0', '--out', 'answer.signed.txt');
    expect(r.code, r.stderr).toBe(0);
    const signed = await readFile(join(dir, 'answer.signed.txt'), 'utf8');
    expect(signed.startsWith('The capital of France is Paris.\n\ufeff')).toBe(true);
    const read = await cli('c2pa', 'read', 'answer.signed.txt', '--text', '--trust', 'certs/ca.pem');
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toBe('Trusted\n');
    await writeFile(join(dir, 'edited.txt'), signed.replace('Paris', 'Rome'));
    const edited = await cli('c2pa', 'read', 'edited.txt', '--text', '--trust', 'certs/ca.pem');
    expect(edited.code).toBe(1);
    expect(edited.stdout).toBe('Invalid\n');
    expect(edited.stderr).toMatch(/assertion\.dataHash\.mismatch/);
  });

  it('a file without credentials: exit 1, "none"', async () => {
    const r = await cli('c2pa', 'read', 'gen.png');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('none\n');
    expect(r.stderr).toMatch(/no C2PA credentials/);
  });

  it('bad input: exit 2 with a stable code', async () => {
    await writeFile(join(dir, 'cut.jpg'), makeJpeg().subarray(0, 300));
    expectError(await cli('c2pa', 'sign', 'cut.jpg', ...signArgs, '--out', 'x.jpg'), 2, 'ERR_ASSET_MALFORMED');
    await writeFile(join(dir, 'notes.bin'), 'not an image');
    expectError(await cli('c2pa', 'sign', 'notes.bin', ...signArgs, '--out', 'x.bin'), 2, 'ERR_UNSUPPORTED_FORMAT');
    expectError(await cli('c2pa', 'sign', 'gen.png', '--cert', 'certs/ca.pem', '--key', 'certs/key.pem', '--out', 'x.png'), 2, 'ERR_CERT_PROFILE');
    expectError(await cli('c2pa', 'sign', 'gen.png', '--key', 'certs/key.pem'), 2, 'ERR_USAGE');
    expectError(await cli('c2pa', 'sign', 'missing.png', ...signArgs), 2, 'ERR_NOT_FOUND');
    expectError(await cli('c2pa', 'read', 'notes.bin'), 2, 'ERR_UNSUPPORTED_FORMAT');
    expectError(await cli('c2pa', 'sign', 'gen.png', ...signArgs, '--training', 'sometimes'), 2, 'ERR_USAGE');
    expect((await readdir(dir)).filter((f) => f.startsWith('x.'))).toEqual([]);
  });
});

describe.skipIf(!HAVE_DIST)('from a credential into the provenance chain', () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await buildChain();
    expect((await runCli(['cert', 'dev', '--out', 'certs'], { cwd: chain.dir })).code).toBe(0);
  }, 60_000);

  it('c2pa sign --receipt ID --store embeds the output record; read names it and verifies it with --output-key', async () => {
    const image = makePng(48, 48, 11);
    const outputs = await createOutputSigner({ model: chain.modelId, signer: chain.keys.server, store: chain.store });
    const record = await outputs.sign({ content: image, mediaType: 'image/png' });
    await writeFile(join(chain.dir, 'out.png'), image);
    const signed = await runCli(
      ['c2pa', 'sign', 'out.png', '--cert', 'certs/chain.pem', '--key', 'certs/key.pem', '--receipt', record.id.toString(), '--store', 'store', '--json'],
      { cwd: chain.dir },
    );
    expect(signed.code, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ out: 'out.png', output: record.id.toString(), model: chain.modelId });

    const read = await runCli(['c2pa', 'read', 'out.png', '--trust', 'certs/ca.pem', '--output-key', chain.pubFiles.server, '--json'], { cwd: chain.dir });
    expect(read.code, read.stderr).toBe(0);
    const report = JSON.parse(read.stdout);
    expect(report.output).toMatchObject({ kind: 'output', output: record.id.toString(), model: chain.modelId, contentMatch: 'match', verified: { kind: 'output' } });

    const stranger = await runCli(['c2pa', 'read', 'out.png', '--output-key', chain.pubFiles.mallory], { cwd: chain.dir });
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/receipt NOT verified: ERR_/);

    // The receipt's record id is where `provenant verify` starts: output, model, weights, datasets.
    const verify = await runCli(['verify', record.id.toString(), '--policy', 'policy.yaml', '--store', 'store'], { cwd: chain.dir });
    expect(verify.code, verify.stderr).toBe(0);
  });
});
