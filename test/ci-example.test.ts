/**
 * examples/ci/verify-release.sh, run as CI runs it, on a real chain exported
 * to a CAR file: it passes on the release as is, and fails the job on a
 * swapped weight file, on a chain with a record missing, and on a broken
 * policy, writing a SARIF report each time it verifies.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTemp, CLI, HAVE_DIST, REPO, runCli } from './helpers.js';
import { buildChain, type TestChain } from './verify-helpers.js';

const SCRIPT = join(REPO, 'examples', 'ci', 'verify-release.sh');

function runScript(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', [SCRIPT, ...args], { env: { ...process.env, PROVENANT: `${process.execPath} ${CLI}`, ...env }, timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

describe.skipIf(!HAVE_DIST)('examples/ci/verify-release.sh', () => {
  let chain: TestChain;
  let car: string;
  let partialCar: string;

  beforeAll(async () => {
    chain = await buildChain();
    car = join(chain.dir, 'chain.car');
    const exported = await runCli(['store', 'export', chain.modelId, '--out', car, '--store', chain.storeDir]);
    expect(exported.code, exported.stderr).toBe(0);
    // A release whose chain lacks the datasets: the model record only, with its weights.
    partialCar = join(chain.dir, 'partial.car');
    const partial = await runCli(['store', 'export', chain.weightsId, '--out', partialCar, '--store', chain.storeDir]);
    expect(partial.code, partial.stderr).toBe(0);
  }, 120_000);
  afterAll(cleanupTemp);

  it('passes on an untouched release and writes an empty SARIF report', async () => {
    const sarif = join(chain.dir, 'ok.sarif');
    const r = await runScript([chain.modelId, car, chain.policyPath, chain.modelDir], { SARIF_OUT: sarif });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`release ${chain.modelId} verified`);
    const report = JSON.parse(readFileSync(sarif, 'utf8'));
    expect(report.version).toBe('2.1.0');
    expect(report.runs[0].results).toEqual([]);
  });

  it('fails the job (exit 1) on a swapped weight file, naming the file in the SARIF report', async () => {
    const sarif = join(chain.dir, 'swapped.sarif');
    const weightFile = join(chain.modelDir, 'model.safetensors');
    const original = readFileSync(weightFile);
    await writeFile(weightFile, Buffer.concat([original, Buffer.from([0])]));
    try {
      const r = await runScript([chain.modelId, car, chain.policyPath, chain.modelDir], { SARIF_OUT: sarif });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('FAILED verification');
      const results = JSON.parse(readFileSync(sarif, 'utf8')).runs[0].results as { ruleId: string; message: { text: string } }[];
      expect(results.map((x) => x.ruleId)).toContain('ERR_MODEL_MISMATCH');
      expect(JSON.stringify(results)).toContain('model.safetensors');
    } finally {
      await writeFile(weightFile, original);
    }
  });

  it('fails the job (exit 1) when the chain lacks linked records', async () => {
    const sarif = join(chain.dir, 'partial.sarif');
    const r = await runScript([chain.modelId, partialCar, chain.policyPath], { SARIF_OUT: sarif });
    expect(r.code).toBe(1);
  });

  it('exits 2 on a broken policy or bad usage', async () => {
    const broken = join(chain.dir, 'broken.yaml');
    await writeFile(broken, 'version: 1\nroles: {}\nkinds: { model: { signedBy: nobody } }\n');
    const r = await runScript([chain.modelId, car, broken], { SARIF_OUT: join(chain.dir, 'broken.sarif') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ERR_POLICY_INVALID');
    const usage = await runScript([chain.modelId], {});
    expect(usage.code).toBe(2);
  });
});
