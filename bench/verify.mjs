// Chain verification benchmark (issue 8): how long `verifyChain` takes once
// the store is open.
//
// Builds, with the built library, in a temporary store: an output record ->
// its model -> the weights record and three datasets; and a decision that
// counts 100 ballots (-> its proposal and electorate) adopting the model.
// Then times, over many iterations: verifyChain on the output; on the
// decision without a governance verifier (103 records walked, read and
// validated: the walk's cost, the governance checks failing closed); and on
// the output under a policy that requires the model's adoption, with the
// governance verifier plugged in (the tally recomputed from the ballots):
// the whole chain of the target.
//
// Baseline, measured in the same run: the same records read from the store
// and validated one by one (parse, schema, kind rules) with no walk,
// signatures, links or report. The ratio says what verifying costs on top of
// reading. Target: < 50 ms for the whole chain.
//
//   npm run build && node bench/verify.mjs [--iterations N] [--car]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attestDataset,
  attestModel,
  castBallot,
  createDecision,
  createElectorate,
  createProposal,
  createRecord,
  exportCar,
  generateKeyPair,
  importSigner,
  loadElectorate,
  parseJson,
  openStore,
  parsePolicy,
  sha256Subject,
  signModel,
  tallyProposal,
  validateStatement,
  verifyChain,
  DirectoryStore,
} from '../dist/index.js';
import * as provenant from '../dist/index.js';
import { createHash } from 'node:crypto';

const args = process.argv.slice(2);
const itArg = args.indexOf('--iterations');
const iterations = itArg >= 0 ? Number(args[itArg + 1]) : 200;
const useCar = args.includes('--car');

const dir = await mkdtemp(join(tmpdir(), 'provenant-bench-verify-'));
try {
  const signer = async (alg = 'ed25519') => importSigner(generateKeyPair(alg).privateKeyPem);
  const publisher = await signer();
  const curator = await signer('p256');
  const server = await signer();
  const building = new DirectoryStore(join(dir, 'store'));

  const modelDir = join(dir, 'model');
  await mkdir(modelDir);
  await writeFile(join(modelDir, 'model.safetensors'), Buffer.alloc(1 << 20, 7));
  await writeFile(join(modelDir, 'config.json'), '{"layers":2}');
  const signed = await signModel(modelDir, { signer: publisher });
  const datasets = [];
  for (const name of ['web', 'books', 'code']) {
    const data = join(dir, `data-${name}`);
    await mkdir(data);
    for (let i = 0; i < 20; i++) await writeFile(join(data, `part-${i}.jsonl`), `{"text":"${name} ${i}"}\n`);
    datasets.push((await building.put((await attestDataset(data, { name, version: '1', signer: curator })).envelopeBytes)).toString());
  }
  const model = await attestModel({
    name: 'tiny',
    version: '1.0',
    weights: signed.signaturePath,
    datasets,
    signer: publisher,
    store: building,
    trustedKeys: [publisher.publicKey, curator.publicKey],
  });
  await building.put(model.weights.envelopeBytes);
  const modelId = (await building.put(model.envelopeBytes)).toString();

  // A decision counting 100 ballots.
  let decisionId;
  let genesisId;
  let governanceNote = '';
  try {
    const voters = await Promise.all(Array.from({ length: 100 }, () => signer()));
    const members = voters.map((v, i) => ({ id: `m${i}`, keys: [v.publicKey], weight: 1, roles: ['developer'] }));
    const opens = new Date(Date.now() - 3_600_000);
    const closes = new Date(Date.now() - 60_000);
    const genesis = await createElectorate({
      name: 'bench',
      members,
      threshold: 1,
      rules: { method: 'single-choice', quorum: 0.5, threshold: 0.5 },
      signers: [voters[0]],
      created: new Date(Date.now() - 7_200_000),
    });
    await building.put(genesis.envelopeBytes);
    genesisId = genesis.id.toString();
    const electorate = await loadElectorate(building, genesis.id.toString(), { genesis: [genesis.id.toString()] });
    const proposal = await createProposal({
      electorate,
      proposer: 'm0',
      signer: voters[0],
      action: 'adopt-model',
      title: 'adopt tiny 1.0',
      rationale: 'benchmark',
      targets: [modelId],
      opens,
      closes,
    });
    const proposalId = await building.put(proposal.envelopeBytes);
    // castBallot takes the proposal as read from a store (governance's ReadRecord shape).
    const proposalRecord = {
      id: proposalId,
      idString: proposalId.toString(),
      kind: 'proposal',
      statement: proposal.statement,
      predicate: proposal.statement.predicate,
      stored: await building.get(proposalId),
    };
    for (let i = 0; i < 100; i++) {
      const ballot = await castBallot({ proposal: proposalRecord, electorate, voter: `m${i}`, signer: voters[i], choice: i % 4 === 0 ? 2 : 1, cast: new Date(opens.getTime() + 1000 * (i + 1)) });
      await building.put(ballot.envelopeBytes);
    }
    const tally = await tallyProposal(building, proposalId, { genesis: [genesis.id.toString()] });
    const decision = await createDecision(tally, { signer: voters[0] });
    decisionId = (await building.put(decision.envelopeBytes)).toString();
  } catch (err) {
    governanceNote = `governance records not built (${err.code ?? ''} ${err.message}); timing the output chain only`;
  }

  // The output is made after the model's adoption (an output made before it would fail the approval).
  const text = 'an output of the tiny model';
  const output = await createRecord({
    kind: 'output',
    subject: [sha256Subject('output', createHash('sha256').update(text).digest('hex'))],
    predicate: { model: modelId, created: new Date().toISOString(), mediaType: 'text/plain; charset=utf-8', size: text.length, parameters: { temperature: 0.7 } },
    signers: [server],
  });
  const outputId = (await building.put(output.envelopeBytes)).toString();
  let store = await openStore(join(dir, 'store'));
  if (useCar) {
    const ids = [];
    for await (const id of store.list()) ids.push(id);
    await exportCar(store, ids, join(dir, 'chain.car'));
    store = await openStore(join(dir, 'chain.car'));
  }
  const keys = join(dir, 'keys');
  await mkdir(keys);
  await writeFile(join(keys, 'publisher.pub'), publisher.publicKey.pem);
  await writeFile(join(keys, 'curator.pub'), curator.publicKey.pem);
  await writeFile(join(keys, 'server.pub'), server.publicKey.pem);
  const policy = await parsePolicy(
    `version: 1
roles:
  publisher: { keys: [keys/publisher.pub] }
  curator: { keys: [keys/curator.pub] }
  server: { keys: [keys/server.pub] }
kinds:
  weights: { signedBy: publisher }
  model: { signedBy: publisher }
  dataset: { signedBy: curator }
  output: { signedBy: server }
`,
    { baseDir: dir },
  );

  const first = await verifyChain(outputId, { store, policy });
  if (!first.verified) throw new Error(`the output chain does not verify: ${JSON.stringify(first.checks.filter((c) => !c.ok))}`);
  const targets = [['output chain (output, model, weights, 3 datasets)', outputId]];
  if (decisionId) {
    const d = await verifyChain(decisionId, { store, policy });
    targets.push([`decision with 100 ballots (${d.chain.length} records)`, decisionId]);
  }

  // Baseline: the same records read from the store and validated one by one
  // (parse, schema, kind rules), with no walk, signatures, links or report.
  const baselineIds = [];
  for (const [, id] of targets) for (const r of (await verifyChain(id, { store, policy })).chain) baselineIds.push(r.id);
  async function baseline() {
    for (const id of baselineIds) validateStatement(parseJson((await store.get(id)).payload));
  }

  // The whole thing with governance: the policy requires the model's adoption, and the
  // governance verifier (a fresh one each run: it caches) recomputes the 100-ballot tally.
  let governed;
  if (decisionId && typeof provenant.createGovernanceVerifier === 'function') {
    const withGovernance = await parsePolicy(
      `version: 1
roles:
  publisher: { keys: [keys/publisher.pub] }
  curator: { keys: [keys/curator.pub] }
  server: { keys: [keys/server.pub] }
kinds:
  weights: { signedBy: publisher }
  model: { signedBy: publisher, approval: adopt-model }
  dataset: { signedBy: curator }
  output: { signedBy: server }
governance: { genesis: ${genesisId} }
`,
      { baseDir: dir },
    );
    // As `provenant verify` does: a fresh read-through cache per verification, shared by the walk and the governance checks.
    const run = () => {
      const cached = provenant.memoStore(store);
      return verifyChain(outputId, { store: cached, policy: withGovernance, governance: provenant.createGovernanceVerifier(cached) });
    };
    const check = await run();
    if (!check.verified) throw new Error(`the governed chain does not verify: ${JSON.stringify(check.checks.filter((c) => !c.ok))}`);
    governed = run;
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  async function time(fn) {
    for (let i = 0; i < Math.min(20, iterations); i++) await fn(); // warm up
    const samples = [];
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      await fn();
      samples.push(performance.now() - t);
    }
    return median(samples);
  }

  console.log(`verifyChain, ${useCar ? 'CAR' : 'directory'} store opened once, median of ${iterations} runs`);
  if (governanceNote) console.log(governanceNote);
  let total = 0;
  for (const [label, id] of targets) {
    const ms = await time(() => verifyChain(id, { store, policy }));
    total += ms;
    console.log(`  ${label}: ${ms.toFixed(2)} ms`);
  }
  if (governed && process.env.PROVENANT_BENCH_PROFILE) {
    // Profiling aid: run only the governed case, many times (node --cpu-prof bench/verify.mjs).
    for (let i = 0; i < iterations; i++) await governed();
  }
  if (governed) {
    const ms = await time(governed);
    console.log(`  output chain with its adoption checked by the governance verifier (tally of 100 ballots recomputed, store indexed): ${ms.toFixed(2)} ms (target < 50 ms: ${ms < 50 ? 'met' : 'NOT met'})`);
  }
  const base = await time(baseline);
  console.log(`  together: ${total.toFixed(2)} ms (target < 50 ms: ${total < 50 ? 'met' : 'NOT met'})`);
  console.log(`  baseline (the same records read and validated one by one): ${base.toFixed(2)} ms; verifyChain is ${(total / base).toFixed(2)}x that`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
