#!/usr/bin/env node
// Model-serving start-up check: refuse to serve unless the weights on disk
// match their OMS signature by the publisher's key. Streaming hashing runs in
// worker threads; progress is reported; Ctrl-C aborts cleanly.
//   node examples/verify-weights-at-startup.mjs MODEL_DIR PUBLISHER_KEY.pub
import { readFile } from 'node:fs/promises';
import { importPublicKey, ProvenantError, verifyModel } from 'provenant';

const [modelDir, keyPath] = process.argv.slice(2);
if (!modelDir || !keyPath) {
  console.error('usage: verify-weights-at-startup.mjs MODEL_DIR PUBLISHER_KEY.pub');
  process.exit(2);
}

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());

try {
  const key = await importPublicKey(await readFile(keyPath, 'utf8'));
  const started = Date.now();
  const result = await verifyModel(modelDir, {
    key,
    signal: controller.signal,
    onProgress: ({ bytesDone, bytesTotal }) => process.stderr.write(`\rverifying ${bytesDone}/${bytesTotal} bytes`),
  });
  process.stderr.write('\n');
  console.log(
    `weights verified: ${result.statement.modelName}, ${result.statement.resources.length} files, ` +
      `${result.manifest.totalBytes} bytes in ${Date.now() - started} ms, signed by ${result.keyId}`,
  );
  // ...load the weights and start serving here.
} catch (err) {
  if (err instanceof ProvenantError) {
    console.error(`refusing to serve: ${err.code}: ${err.message}`);
    process.exit(err.exitCode);
  }
  throw err;
}
