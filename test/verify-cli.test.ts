/**
 * `provenant verify` through the built CLI (dist/cli.js, a child process):
 * exit codes, the text tree, --json, SARIF, targets (id, envelope file,
 * model.sig, artifact), --model-path, --trust and the bad-input list.
 * Needs the build (`npx tsup`).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTemp, HAVE_DIST, makeTemp, REPO, runCli, type CliResult } from './helpers.js';
import { buildChain, resign, type TestChain } from './verify-helpers.js';

let chain: TestChain;

beforeAll(async () => {
  chain = await buildChain();
}, 60_000);
afterAll(cleanupTemp);

function errorCode(r: CliResult): string | undefined {
  return /provenant: error (ERR_[A-Z_]+):/.exec(r.stderr)?.[1];
}

/** Expect exit 2 with `code`, nothing on stdout. */
function expectUsage(r: CliResult, code: string): void {
  expect({ exit: r.code, code: errorCode(r) }, r.stderr).toEqual({ exit: 2, code });
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/internal error/);
}

function verify(...args: string[]): Promise<CliResult> {
  return runCli(['verify', ...args], { cwd: chain.dir });
}

interface JsonReport {
  verified: boolean;
  target: string;
  roots: string[];
  checks: { record: string; kind: string; check: string; ok: boolean; code?: string; message: string }[];
  chain: { id: string; kind: string }[];
}

describe.skipIf(!HAVE_DIST)('provenant verify', () => {
  it('an untouched chain: exit 0, the tree on stderr, nothing on stdout', async () => {
    const r = await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^✓ model bagaaiera\S+ tiny@1\.0\n/);
    expect(r.stderr).toContain('    ✓ signature: signed by 2 of the 2 curator keys (threshold 2)');
    expect(r.stderr).toMatch(/\nverified: bagaaiera\S+ \(6 records, \d+ checks passed\)\n$/);
  });

  it('--json prints the report; --format json is the same', async () => {
    const r = await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report).toMatchObject({ verified: true, target: chain.modelId, roots: [chain.modelId] });
    expect(report.chain.map((c) => c.kind)).toEqual(['model', 'weights', 'dataset', 'dataset', 'dataset', 'model']);
    expect(report.checks.every((c) => c.ok && c.code === undefined)).toBe(true);
    const again = await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--format', 'json');
    expect({ ...(JSON.parse(again.stdout) as JsonReport), at: 0 }).toEqual({ ...report, at: 0 });
  });

  it('a weight file swapped after signing, with --model-path: exit 1, the failure named in text, JSON and SARIF', async () => {
    const swapped = join(await makeTemp('provenant-cli-swapped-'), 'model');
    await cp(chain.modelDir, swapped, { recursive: true });
    await writeFile(join(swapped, 'config.json'), '{"layers":3}');
    const good = await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--model-path', chain.modelDir);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stderr).toContain('✓ weights-files: ');
    const text = await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--model-path', swapped);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('✗ weights-files ERR_MODEL_MISMATCH: the model does not match its signature:');
    expect(text.stderr).toContain('different: config.json');
    expect(text.stderr).toMatch(/\nNOT verified: bagaaiera\S+ \(1 of \d+ checks failed\)\n$/);
    const json = await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--model-path', swapped, '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as JsonReport;
    expect(report.verified).toBe(false);
    expect(report.checks.filter((c) => !c.ok)).toEqual([
      expect.objectContaining({ record: chain.weightsId, kind: 'weights', check: 'weights-files', code: 'ERR_MODEL_MISMATCH' }),
    ]);
    const sarif = await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--model-path', swapped, '--format', 'sarif');
    expect(sarif.code).toBe(1);
    const log = JSON.parse(sarif.stdout) as {
      version: string;
      $schema: string;
      runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { logicalLocations: { name: string; fullyQualifiedName: string }[] }[] }[] }[];
    };
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toContain('sarif-2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(log.runs[0]!.tool.driver.name).toBe('provenant');
    expect(log.runs[0]!.tool.driver.rules).toEqual([expect.objectContaining({ id: 'ERR_MODEL_MISMATCH' })]);
    expect(log.runs[0]!.results).toEqual([
      expect.objectContaining({
        ruleId: 'ERR_MODEL_MISMATCH',
        ruleIndex: 0,
        level: 'error',
        locations: [{ logicalLocations: [expect.objectContaining({ name: chain.weightsId, fullyQualifiedName: `weights/${chain.weightsId}` })] }],
      }),
    ]);
    expect(log.runs[0]!.results[0]!.message.text).toContain('different: config.json');
    const clean = JSON.parse((await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--format', 'sarif')).stdout) as typeof log;
    expect(clean.runs[0]!.results).toEqual([]);
  });

  it('a dataset re-signed by an untrusted key: exit 1 with ERR_SIGNATURE_INVALID', async () => {
    const dir = join(await makeTemp('provenant-cli-store-'), 'store');
    await cp(chain.storeDir, dir, { recursive: true });
    const id = chain.datasetIds[0]!;
    const shardFile = join(dir, id.slice(-3, -1), `${id}.json`);
    await writeFile(shardFile, await resign(new Uint8Array(await readFile(shardFile)), [chain.keys.mallory]));
    const r = await verify(chain.modelId, '--policy', 'policy.yaml', '--store', dir, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.checks.filter((c) => !c.ok).map((c) => [c.record, c.code])).toEqual([[id, 'ERR_SIGNATURE_INVALID']]);
  });

  it('targets: an envelope file, an OMS model.sig, an artifact (by TARGET or --content), a CAR store', async () => {
    const envelopeFile = join(chain.dir, 'model.dsse.json');
    const stored = JSON.parse((await runCli(['store', 'show', chain.modelId, '--store', chain.storeDir, '--json'])).stdout) as { id: string };
    expect(stored.id).toBe(chain.modelId);
    const envelope = await runCli(['store', 'show', chain.modelId, '--store', chain.storeDir, '--envelope']);
    await writeFile(envelopeFile, envelope.stdout);
    const byFile = JSON.parse((await verify(envelopeFile, '--policy', 'policy.yaml', '--store', 'store', '--json')).stdout) as JsonReport;
    expect(byFile).toMatchObject({ verified: true, target: chain.modelId });
    const bySig = JSON.parse((await verify(chain.signaturePath, '--policy', 'policy.yaml', '--store', 'store', '--json')).stdout) as JsonReport;
    expect(bySig).toMatchObject({ verified: true, target: chain.weightsId });
    const artifact = JSON.parse((await verify(chain.datasetFile, '--policy', 'policy.yaml', '--store', 'store', '--json')).stdout) as JsonReport;
    expect(artifact).toMatchObject({ verified: true, roots: [chain.datasetIds[0]] });
    expect(artifact.target).toMatch(/^sha256:[0-9a-f]{64}$/);
    const content = await verify('--content', join(chain.modelDir, 'model.safetensors'), '--policy', 'policy.yaml', '--store', 'store', '--json');
    expect(JSON.parse(content.stdout)).toMatchObject({ verified: true, roots: [chain.weightsId] });
    const nobody = await verify('--content', join(chain.dir, 'policy.yaml'), '--policy', 'policy.yaml', '--store', 'store');
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('✗ target ERR_TARGET_NOT_FOUND: no record in the store names sha256:');
    const car = join(chain.dir, 'chain.car');
    expect((await runCli(['store', 'export', chain.modelId, '--out', car, '--store', chain.storeDir])).code).toBe(0);
    expect((await verify(chain.modelId, '--policy', 'policy.yaml', '--store', car)).code).toBe(0);
  });

  it('--trust keys instead of a policy; neither: nothing is trusted (exit 1, said on stderr)', async () => {
    const trusted = await verify(chain.modelId, '--trust', chain.pubFiles.publisher, '--trust', chain.pubFiles.curatorA, '--store', 'store');
    expect(trusted.code, trusted.stderr).toBe(0);
    const partial = await verify(chain.modelId, '--trust', chain.pubFiles.publisher, '--store', 'store', '--json');
    expect(partial.code).toBe(1);
    expect(new Set((JSON.parse(partial.stdout) as JsonReport).checks.filter((c) => !c.ok).map((c) => c.code))).toEqual(new Set(['ERR_SIGNATURE_INVALID']));
    const none = await verify(chain.modelId, '--store', 'store');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no --policy and no --trust key: nothing is trusted');
    expect(none.stderr).toContain('ERR_KIND_NOT_TRUSTED');
  });

  it('--at: verifies as of a time; a bad time is bad usage', async () => {
    expect((await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--at', '2030-01-01T00:00:00Z', '--json')).code).toBe(0);
    expectUsage(await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--at', 'yesterday'), 'ERR_USAGE');
  });

  it('bad input is exit 2: a bad policy, bad flags, a missing store, target or model path, a malformed envelope', async () => {
    await writeFile(join(chain.dir, 'bad-policy.yaml'), 'version: 1\nroles:\n  a: { keys: [keys/nope.pub], threshold: 2 }\nkinds:\n  model: { signedBy: b }\n');
    const bad = await verify(chain.modelId, '--policy', 'bad-policy.yaml', '--store', 'store');
    expectUsage(bad, 'ERR_POLICY_INVALID');
    expect(bad.stderr).toContain('policy.roles.a.keys[0]: ');
    expect(bad.stderr).toContain('policy.kinds.model.signedBy: names no role');
    expectUsage(await verify(chain.modelId, '--policy', 'missing.yaml', '--store', 'store'), 'ERR_POLICY_INVALID');
    expectUsage(await verify(chain.modelId, '--policy', 'policy.yaml', '--trust', chain.pubFiles.publisher, '--store', 'store'), 'ERR_USAGE');
    expectUsage(await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--json', '--format', 'sarif'), 'ERR_USAGE');
    expectUsage(await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--format', 'xml'), 'ERR_USAGE');
    expectUsage(await verify('--policy', 'policy.yaml', '--store', 'store'), 'ERR_USAGE');
    expectUsage(await verify(chain.modelId, chain.modelId, '--policy', 'policy.yaml', '--store', 'store'), 'ERR_USAGE');
    expectUsage(await verify(chain.modelId, '--content', chain.datasetFile, '--policy', 'policy.yaml', '--store', 'store'), 'ERR_USAGE');
    expectUsage(await verify(chain.modelId, '--bogus', '--policy', 'policy.yaml'), 'ERR_USAGE');
    expectUsage(await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'no-such-store'), 'ERR_NOT_FOUND');
    expectUsage(await verify('no-such-file', '--policy', 'policy.yaml', '--store', 'store'), 'ERR_NOT_FOUND');
    expectUsage(await verify(chain.modelId, '--policy', 'policy.yaml', '--store', 'store', '--model-path', 'no-such-model'), 'ERR_NOT_FOUND');
    await writeFile(join(chain.dir, 'broken.json'), '{"payload":"!!","payloadType":"x","signatures":[]}');
    expectUsage(await verify('broken.json', '--policy', 'policy.yaml', '--store', 'store'), 'ERR_MALFORMED');
  });

  it('--help prints the usage that docs/reference/cli.md shows', async () => {
    const r = await runCli(['verify', '--help']);
    expect(r.code).toBe(0);
    const usage = r.stdout.split('\n')[0]!.replace(/^usage: /, '');
    expect(usage.startsWith('provenant verify ')).toBe(true);
    expect(await readFile(join(REPO, 'docs/reference/cli.md'), 'utf8')).toContain(usage);
    expect((await runCli(['--help'])).stdout).toMatch(/\n {2}verify {5}/);
  });
});
