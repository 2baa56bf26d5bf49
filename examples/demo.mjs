#!/usr/bin/env node
// The end-to-end demo: every step runs the real `provenant` CLI on the fixture
// model and dataset, in a fresh work directory, and prints what it ran.
//   node examples/demo.mjs [WORKDIR]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repo, 'dist', 'cli.js');
const work = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'provenant-demo-'));
const model = join(work, 'tiny-model');
const dataset = join(work, 'tiny-dataset');
rmSync(model, { recursive: true, force: true });
rmSync(dataset, { recursive: true, force: true });
cpSync(join(repo, 'fixtures', 'tiny-model'), model, { recursive: true });
cpSync(join(repo, 'fixtures', 'tiny-dataset'), dataset, { recursive: true });

function run(args, { expectExit = 0 } = {}) {
  console.log(`\n$ provenant ${args.join(' ')}`);
  try {
    const out = execFileSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    process.stdout.write(out);
    if (expectExit !== 0) throw new Error(`expected exit ${expectExit}, got 0`);
    return out.trim();
  } catch (err) {
    if (err.status === expectExit) {
      process.stdout.write(err.stdout ?? '');
      console.log(`(exit ${err.status}, as expected)`);
      return '';
    }
    throw err;
  }
}

console.log(`provenant demo in ${work}`);
// 1. Keys: the model publisher and the dataset curator.
run(['keygen', '--out', 'publisher.pem', '--alg', 'p384', '--force']);
run(['keygen', '--out', 'curator.pem', '--alg', 'ed25519', '--force']);
// 2. Hash the weights (OMS serialization) and sign them (OMS v1.0 bundle).
run(['hash', 'tiny-model', '--json']);
run(['model', 'sign', 'tiny-model', '--key', 'publisher.pem']);
// 3. Verify the weights against the publisher's public key.
run(['model', 'verify', 'tiny-model', '--key', 'publisher.pem.pub', '--json']);
// 4. Attest the training dataset (curator) and the model version (publisher),
//    linking the weights signature, the dataset and the model card.
const datasetId = run(['dataset', 'attest', 'tiny-dataset', '--name', 'tiny-corpus', '--version', '1.0',
  '--license', 'CC-BY-4.0', '--source', 'https://example.org/tiny-corpus', '--key', 'curator.pem']);
const modelId = run(['model', 'attest', 'tiny-model', '--name', 'tiny', '--version', '1.0', '--key', 'publisher.pem',
  '--dataset', datasetId, '--trust', 'curator.pem.pub', '--card', 'tiny-model/README.md', '--license', 'Apache-2.0',
  '--format', 'char-bigram']);
// 5. The store now holds the chain; ship it as one CAR file and read it back.
run(['store', 'ls']);
run(['inspect', modelId]);
run(['store', 'export', modelId, '--out', 'chain.car']);
run(['store', 'ls', '--store', 'chain.car']);
// 6. Tamper with a weight file: verification fails with exit 1 and names the file.
writeFileSync(join(model, 'weights.bin'), 'tampered');
run(['model', 'verify', 'tiny-model', '--key', 'publisher.pem.pub'], { expectExit: 1 });
console.log('\ndemo finished: weights signed and verified, dataset and model attested and linked, chain exported, tampering detected');
