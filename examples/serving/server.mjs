#!/usr/bin/env node
// A small HTTP model server that signs every response.
//
// It serves the tiny character-level model of examples/tiny-lm (safetensors
// weights) over node:http. At start-up it checks the weights against their
// OMS signature, and loads the generation-parameter limits that governance
// approved. Outputs are signed in batches: one `output-batch` record per
// batch (a Merkle root signed once), and one receipt per output carrying
// its inclusion proof. The receipt is returned in the `Provenant-Receipt`
// header (compact CBOR, base64url) and in the JSON body.
// Verify it with:
//   provenant verify --receipt R --content C --policy P --store S
//
//   node examples/serving/server.mjs --model-dir DIR --model-id ID --key SERVER_KEY --publisher PUBLISHER.pub
//        [--store DIR] [--genesis ID] [--port N] [--batch-items N] [--batch-ms N]
//
// POST /generate  {"prompt": "the ", "maxTokens": 80, "temperature": 0.8, "seed": 1}
//   -> 200 {"text", "receipt": {...JSON receipt...}, "batch", "index"}
// GET  /healthz   -> 200 {"model", "pending"}
// SIGTERM / SIGINT: stop accepting requests, sign every pending output, answer them, exit.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  approvedParameterLimits,
  createOutputSigner,
  DirectoryStore,
  encodeReceipt,
  importPublicKey,
  importSigner,
  ParameterLimitError,
  ProvenantError,
  receiptToJson,
  verifyModel,
} from 'provenant';
import { generate, load } from '../tiny-lm/index.mjs';

const { values } = parseArgs({
  options: {
    'model-dir': { type: 'string' },
    'model-id': { type: 'string' },
    key: { type: 'string' },
    publisher: { type: 'string' },
    store: { type: 'string', default: '.provenant' },
    genesis: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'batch-items': { type: 'string', default: '256' },
    'batch-ms': { type: 'string', default: '10' },
  },
});
for (const flag of ['model-dir', 'model-id', 'key', 'publisher']) {
  if (values[flag] === undefined) {
    console.error(`usage: server.mjs --model-dir DIR --model-id ID --key SERVER_KEY --publisher PUBLISHER.pub [--store DIR] [--genesis ID] [--port N]`);
    process.exit(2);
  }
}

/** Refuse to start on anything provenant rejects: the weights, the key, the store. */
async function start() {
  const publisher = await importPublicKey(await readFile(values.publisher, 'utf8'));
  const verified = await verifyModel(values['model-dir'], { key: publisher });
  console.error(`weights verified: ${verified.statement.resources.length} files, signed by ${verified.keyId}`);
  const model = load(new Uint8Array(await readFile(join(values['model-dir'], 'model.safetensors'))));
  const store = new DirectoryStore(values.store);
  // Limits voted by governance (set-parameter), trusted through the genesis electorate.
  const limits = values.genesis ? await approvedParameterLimits(store, { genesis: [values.genesis] }) : [];
  if (limits.length) console.error(`parameter limits in force: ${limits.map((l) => `${l.name}${l.max !== undefined ? ` <= ${l.max}` : ''}${l.min !== undefined ? ` >= ${l.min}` : ''}${l.equals !== undefined ? ` = ${l.equals}` : ''}`).join(', ')}`);
  const signer = await createOutputSigner({
    model: values['model-id'],
    key: await readFile(values.key, 'utf8'),
    limits,
    store,
    batch: { maxItems: Number(values['batch-items']), maxDelayMs: Number(values['batch-ms']) },
  });
  return { model, signer };
}

let service;
try {
  service = await start();
} catch (err) {
  if (err instanceof ProvenantError) {
    console.error(`refusing to serve: ${err.code}: ${err.message}`);
    process.exit(err.exitCode);
  }
  throw err;
}
const { model, signer } = service;

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req, limit = 64 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function generationRequest(text) {
  let body;
  try {
    body = JSON.parse(text || '{}');
  } catch {
    throw Object.assign(new Error('the body is not JSON'), { status: 400 });
  }
  const prompt = typeof body.prompt === 'string' ? body.prompt.slice(0, 1000) : '';
  const maxTokens = Number.isInteger(body.maxTokens) && body.maxTokens > 0 && body.maxTokens <= 2000 ? body.maxTokens : 80;
  const temperature = typeof body.temperature === 'number' && body.temperature >= 0 && body.temperature <= 10 ? body.temperature : 0.8;
  const seed = Number.isInteger(body.seed) ? body.seed : 0;
  return { prompt, maxTokens, temperature, seed };
}

let closing = false;
const server = createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, { model: values['model-id'], pending: signer.pending });
    if (req.method !== 'POST' || req.url !== '/generate') return send(res, 404, { error: 'not found' });
    if (closing) return send(res, 503, { error: 'shutting down' });
    const { prompt, maxTokens, temperature, seed } = generationRequest(await readBody(req));
    const text = prompt + generate(model, { prompt, maxTokens, temperature, seed });
    // Refused here, before anything is signed, when the parameters break an approved limit.
    const receipt = await signer.sign({ content: text, mediaType: 'text/plain; charset=utf-8', parameters: { temperature, seed, maxTokens } });
    const compact = Buffer.from(encodeReceipt(receipt, 'cbor')).toString('base64url');
    send(res, 200, { text, receipt: receiptToJson(receipt), batch: receipt.batch.toString(), index: receipt.index }, { 'provenant-receipt': compact });
  } catch (err) {
    if (err instanceof ParameterLimitError) return send(res, 422, { error: err.code, message: err.message });
    if (err?.status) return send(res, err.status, { error: err.message });
    console.error(err);
    send(res, 500, { error: 'internal error' });
  }
});

server.listen(Number(values.port), values.host, () => {
  const { port } = server.address();
  // The first line on stdout is the address, for scripts and tests.
  console.log(JSON.stringify({ listening: `http://${values.host}:${port}` }));
});

async function shutdown(signal) {
  if (closing) return;
  closing = true;
  console.error(`${signal}: signing pending outputs before exit`);
  server.close();
  // close() signs every output accepted so far; their callers get their receipts.
  await signer.close();
  await new Promise((resolve) => setTimeout(resolve, 100)); // let the last responses be written
  server.closeAllConnections();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
