#!/usr/bin/env node
// Output signing benchmark (issue 5). Run after a build: `npx tsup && node bench/outputs.mjs`.
//
// Everything is measured in this run, on this machine, against a baseline
// measured in the same run: bare Ed25519 `crypto.sign(null, payload, key)`
// on a payload the size of the DSSE message an output record signs.
//
//   single   outputs/s of createOutputSigner() without batching vs bare sign   target >= 0.8x
//   batch    outputs/s of 1 KiB outputs in batch mode, one core                 target >= 100,000/s
//   latency  p99 time from sign() to receipt at a steady load, vs the window    target <= window + 2 ms
//   verify   time to decode + verify one compact receipt (proof + 1 signature)  target < 0.5 ms
//
// Options: --quick (smaller runs, for a smoke test).
import { generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  createOutputSigner,
  decodeReceipt,
  encodeReceipt,
  importPublicKey,
  importSigner,
  parseEnvelope,
  pae,
  recordId,
  verifyOutputReceipt,
} from '../dist/index.js';

const quick = process.argv.includes('--quick');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = await importSigner(privateKey);
const key = await importPublicKey(publicKey);
const model = recordId(new TextEncoder().encode('bench model record')).toString();
const parameters = { temperature: 0.7, top_p: 0.95, max_tokens: 512, seed: 1234, stream: false };
const contents = Array.from({ length: 1024 }, () => randomBytes(1024));
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function best(runs) {
  return Math.max(...runs);
}

// ---------------------------------------------------------------- single-output signing vs bare crypto.sign
async function benchSingle() {
  const outputs = await createOutputSigner({ model, signer });
  const sample = await outputs.sign({ content: contents[0], mediaType: 'text/plain; charset=utf-8', parameters });
  const message = pae(sample.envelope.payloadType, parseEnvelope(sample.envelopeBytes).payload);
  const payload = randomBytes(message.length);
  const n = quick ? 2000 : 20_000;
  const bare = [];
  const ours = [];
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    for (let i = 0; i < n; i++) cryptoSign(null, payload, privateKey);
    bare.push(n / ((performance.now() - t) / 1000));
    t = performance.now();
    for (let i = 0; i < n; i++) await outputs.sign({ content: contents[i & 1023], mediaType: 'text/plain; charset=utf-8', parameters });
    ours.push(n / ((performance.now() - t) / 1000));
  }
  await outputs.close();
  return { bare: best(bare), ours: best(ours), messageBytes: message.length };
}

// ---------------------------------------------------------------- batch throughput, 1 KiB outputs
async function benchBatch() {
  const outputs = await createOutputSigner({ model, signer, batch: { maxItems: 1024, maxDelayMs: 10 } });
  const total = quick ? 65_536 : 262_144;
  const chunk = 8192;
  const runs = [];
  let last;
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    for (let done = 0; done < total; done += chunk) {
      const promises = new Array(chunk);
      for (let i = 0; i < chunk; i++) promises[i] = outputs.sign({ content: contents[i & 1023], mediaType: 'text/plain; charset=utf-8', parameters });
      await outputs.flush();
      last = await Promise.all(promises);
    }
    runs.push(total / ((performance.now() - t) / 1000));
  }
  await outputs.close();
  return { rate: best(runs), receipt: last[777], content: contents[777 & 1023] };
}

// ---------------------------------------------------------------- added latency at a steady load
async function benchLatency(windowMs, ratePerSecond) {
  const outputs = await createOutputSigner({ model, signer, batch: { maxItems: 4096, maxDelayMs: windowMs } });
  const seconds = quick ? 0.5 : 2;
  const target = Math.round(ratePerSecond * seconds);
  const latencies = new Float64Array(target);
  const pending = [];
  let issued = 0;
  const start = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(target, Math.floor(((performance.now() - start) / 1000) * ratePerSecond));
      while (issued < due) {
        const i = issued++;
        const t0 = performance.now();
        pending.push(
          outputs.sign({ content: contents[i & 1023], mediaType: 'text/plain; charset=utf-8', parameters }).then(() => {
            latencies[i] = performance.now() - t0;
          }),
        );
      }
      if (issued < target) setImmediate(tick);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  await outputs.close();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1], count: target };
}

// ---------------------------------------------------------------- verification of one batched receipt
async function benchVerify(receipt, content) {
  const compact = encodeReceipt(receipt, 'cbor');
  const n = quick ? 500 : 5000;
  for (let i = 0; i < 200; i++) await verifyOutputReceipt(content, compact, { keys: [key] });
  const runs = [];
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await verifyOutputReceipt(content, compact, { keys: [key] });
    runs.push((performance.now() - t) / n);
  }
  const decoded = decodeReceipt(compact);
  const t = performance.now();
  for (let i = 0; i < n; i++) await verifyOutputReceipt(content, decoded, { keys: [key] });
  return { ms: Math.min(...runs), decodedMs: (performance.now() - t) / n, bytes: compact.length, jsonBytes: encodeReceipt(receipt, 'json').length };
}

console.log(`provenant output signing benchmark (node ${process.version}, ${quick ? 'quick' : 'full'} run)`);
const single = await benchSingle();
console.log(
  `single  : ${fmt(single.ours)} outputs/s vs bare Ed25519 crypto.sign ${fmt(single.bare)}/s on ${single.messageBytes} bytes` +
    ` -> ${fmt(single.ours / single.bare, 2)}x (target >= 0.80x)`,
);
const batch = await benchBatch();
console.log(
  `batch   : ${fmt(batch.rate)} outputs/s of 1 KiB (maxItems 1024) -> ${fmt(batch.rate / 100_000, 2)}x the 100,000/s target;` +
    ` ${fmt(batch.rate / single.bare, 1)}x bare sign`,
);
for (const [windowMs, rate] of [
  [10, 20_000],
  [10, 50_000],
]) {
  const lat = await benchLatency(windowMs, rate);
  console.log(
    `latency : window ${windowMs} ms at ${fmt(rate)}/s: p50 ${fmt(lat.p50, 2)} ms, p99 ${fmt(lat.p99, 2)} ms, max ${fmt(lat.max, 2)} ms` +
      ` -> p99 - window = ${fmt(lat.p99 - windowMs, 2)} ms (target <= 2 ms)`,
  );
}
const verify = await benchVerify(batch.receipt, batch.content);
console.log(
  `verify  : ${fmt(verify.ms * 1000, 0)} us per compact receipt (${verify.bytes} bytes CBOR, ${verify.jsonBytes} bytes JSON), decode included;` +
    ` ${fmt(verify.decodedMs * 1000, 0)} us already decoded -> ${fmt(verify.ms / 0.5, 2)}x the 0.5 ms budget (target < 1)`,
);
