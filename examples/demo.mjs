#!/usr/bin/env node
// The end-to-end demo (`npm run demo`): the whole provenant story, for real,
// in a fresh work directory. Every step runs the real `provenant` CLI (shown
// as `$ provenant ...`), except training and text generation, which use the
// tiny character-level language model in examples/tiny-lm/.
//
//   1. keys for a small electorate (alice, bob, carol, dave) and for the roles
//   2. the electorate's genesis, signed by 2 of its 4 members
//   3. three text datasets attested; each is put to a vote: two approved, one rejected
//   4. a tiny model trained on the approved datasets only (weights in safetensors)
//   5. the weights signed (OpenSSF model signing), the model attested, proposed and adopted
//   6. a temperature limit voted in; outputs generated and signed within it (one above it is refused)
//   7. `provenant verify` on an output: the whole chain, back to the ballots
//   8. a tampered output and tampered weights fail
//   9. the model is revoked by vote: later outputs fail, earlier ones still verify
//  10. `provenant log`: the governance history
//
//   node examples/demo.mjs [WORKDIR]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, readCorpus, save, train, perplexity } from './tiny-lm/index.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repo, 'dist', 'cli.js');
const work = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'provenant-demo-'));
rmSync(join(work, '.provenant'), { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const summary = [];

function step(title) {
  console.log(`\n=== ${title} ===`);
}

/** Run the CLI; print the command and its stdout; return stdout (parsed with `json`). */
function run(args, { expectExit = 0, json = false, quiet = false } = {}) {
  console.log(`\n$ provenant ${args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  let out;
  try {
    out = execFileSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (err) {
    process.stderr.write(err.stderr ?? '');
    if (err.status === expectExit) {
      if (!quiet) process.stdout.write(err.stdout ?? '');
      console.log(`(exit ${err.status}, as expected)`);
      return { exit: err.status, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
    throw new Error(`provenant ${args.join(' ')}: exit ${err.status}, expected ${expectExit}`);
  }
  if (expectExit !== 0) throw new Error(`provenant ${args.join(' ')}: expected exit ${expectExit}, got 0`);
  if (!quiet) process.stdout.write(out);
  return json ? JSON.parse(out) : out.trim();
}

console.log(`provenant demo in ${work}`);

step('1. Keys: four electorate members, and the publisher, curator, server and tallier roles');
const members = ['alice', 'bob', 'carol', 'dave'];
for (const name of [...members, 'publisher', 'curator', 'server', 'tallier']) {
  run(['keygen', '--out', `keys/${name}.pem`, '--force'], { quiet: true });
}
console.log('(8 key pairs in keys/)');

step('2. The electorate: 4 members, genesis signed by 2 of them');
writeFileSync(
  join(work, 'members.yaml'),
  `members:
  - { id: alice, name: Alice (model developer), keys: [keys/alice.pem.pub], weight: 2, roles: [developer] }
  - { id: bob,   name: Bob (data curator),      keys: [keys/bob.pem.pub],   weight: 1, roles: [curator] }
  - { id: carol, name: Carol (user advocate),   keys: [keys/carol.pem.pub], weight: 1, roles: [user] }
  - { id: dave,  name: Dave (contributor),      keys: [keys/dave.pem.pub],  weight: 1, roles: [contributor] }
`,
);
const genesis = run(['gov', 'electorate', 'create', '--name', 'tiny-lm-stewards', '--members', 'members.yaml', '--threshold', '2',
  '--quorum', '0.6', '--approval', '0.5', '--proposers', 'developer,curator', '--key', 'keys/alice.pem', '--key', 'keys/bob.pem']);

/** Propose, let every member vote as given, tally; returns { proposal, decision, outcome }. */
function vote(proposeArgs, choices, reasons = {}) {
  const proposal = run(['gov', 'propose', '--electorate', genesis, ...proposeArgs, '--duration', '7d']);
  for (const [member, choice] of Object.entries(choices)) {
    run(['gov', 'vote', proposal, '--as', member, '--key', `keys/${member}.pem`, '--choice', choice,
      ...(reasons[member] ? ['--reason', reasons[member]] : [])], { quiet: true });
    console.log(`   ${member} voted ${choice}${reasons[member] ? ` ("${reasons[member]}")` : ''}`);
  }
  // Every member voted, so the tally need not wait for the window to close.
  const tally = run(['gov', 'tally', proposal, '--key', 'keys/tallier.pem', '--json'], { json: true });
  console.log(`   => ${tally.outcome.toUpperCase()}${tally.reason ? ` (${tally.reason})` : ''}: scores ${JSON.stringify(tally.tally.scores)} of total weight ${tally.tally.totalWeight}`);
  return { proposal, decision: tally.id, outcome: tally.outcome };
}

step('3. Three datasets attested by the curator, each put to a vote');
const datasets = {};
for (const name of ['poems', 'recipes', 'spam']) {
  cpSync(join(repo, 'examples', 'tiny-lm', 'corpus', name), join(work, 'datasets', name), { recursive: true });
  const id = run(['dataset', 'attest', `datasets/${name}`, '--name', name, '--version', '1.0', '--license', 'CC-BY-4.0', '--key', 'keys/curator.pem']);
  datasets[name] = { id };
}
const datasetVotes = {
  poems: [{ alice: 'for', bob: 'for', carol: 'for', dave: 'abstain' }, {}],
  recipes: [{ alice: 'for', bob: 'for', carol: 'against', dave: 'for' }, { carol: 'recipes are off-topic for a poetry model' }],
  spam: [{ alice: 'against', bob: 'against', carol: 'against', dave: 'for' }, { bob: 'scraped ad copy, no licence' }],
};
for (const [name, [choices, reasons]] of Object.entries(datasetVotes)) {
  console.log(`\n-- should the ${name} dataset be used for training?`);
  datasets[name].vote = vote(
    ['--as', 'bob', '--key', 'keys/bob.pem', '--action', 'approve-dataset', '--target', datasets[name].id,
      '--title', `Approve the ${name} dataset`, '--rationale', `Curated ${name} corpus, proposed for training tiny-lm 1.0`],
    choices,
    reasons,
  );
}
const approved = Object.keys(datasets).filter((n) => datasets[n].vote.outcome === 'approved');
summary.push(`datasets: ${approved.join(', ')} approved; ${Object.keys(datasets).filter((n) => !approved.includes(n)).join(', ')} rejected by vote`);

step(`4. Train the tiny character-level model on the approved datasets only (${approved.join(', ')})`);
const texts = [];
for (const name of approved) texts.push(...(await readCorpus(join(work, 'datasets', name))));
const lm = train(texts);
const modelDir = join(work, 'tiny-lm');
mkdirSync(modelDir, { recursive: true });
writeFileSync(join(modelDir, 'model.safetensors'), save(lm));
writeFileSync(join(modelDir, 'config.json'), `${JSON.stringify({ architecture: lm.architecture, vocabSize: lm.vocab.length, trainedOn: approved }, null, 2)}\n`);
writeFileSync(join(modelDir, 'README.md'), `# tiny-lm 1.0\n\nA character bigram model trained on the ${approved.join(' and ')} datasets (approved by vote).\n`);
const heldOut = texts[texts.length - 1];
console.log(`trained on ${texts.length} texts (${lm.trainingChars} characters), vocabulary ${lm.vocab.length}; perplexity on a training text ${perplexity(lm, heldOut).toFixed(2)} (uniform: ${lm.vocab.length})`);

step('5. Sign the weights (OMS), attest the model, and put its adoption to a vote');
run(['model', 'sign', 'tiny-lm', '--key', 'keys/publisher.pem']);
run(['model', 'verify', 'tiny-lm', '--key', 'keys/publisher.pem.pub']);
const modelId = run(['model', 'attest', 'tiny-lm', '--name', 'tiny-lm', '--version', '1.0', '--key', 'keys/publisher.pem',
  ...approved.flatMap((n) => ['--dataset', datasets[n].id]), '--trust', 'keys/curator.pem.pub', '--card', 'tiny-lm/README.md',
  '--format', 'safetensors', '--license', 'Apache-2.0']);
const adoption = vote(
  ['--as', 'alice', '--key', 'keys/alice.pem', '--action', 'adopt-model', '--target', modelId,
    '--title', 'Adopt tiny-lm 1.0', '--rationale', 'Trained only on the approved poems and recipes datasets'],
  { alice: 'for', bob: 'for', carol: 'for', dave: 'against' },
  { dave: 'would rather wait for more data' },
);
summary.push(`model tiny-lm 1.0: weights signed, ${adoption.outcome} by vote`);

step('6. A temperature limit set by vote; outputs generated and signed by the server');
const limit = vote(
  ['--as', 'alice', '--key', 'keys/alice.pem', '--action', 'set-parameter', '--parameter', 'temperature', '--max', '1.0',
    '--title', 'Cap the sampling temperature at 1.0', '--rationale', 'Samples above 1.0 were incoherent in review'],
  { alice: 'for', bob: 'for', carol: 'for', dave: 'for' },
);
const outputs = [];
mkdirSync(join(work, 'outputs'), { recursive: true });
for (const [i, prompt] of ['the ', 'stir ', 'a quiet '].entries()) {
  const text = prompt + generate(lm, { prompt, maxTokens: 80, temperature: 0.8, seed: i + 1 });
  const file = `outputs/output-${i + 1}.txt`;
  writeFileSync(join(work, file), text);
  console.log(`\ngenerated ${file}: ${JSON.stringify(text)}`);
  const id = run(['output', 'sign', file, '--model', modelId, '--key', 'keys/server.pem', '--param', 'temperature=0.8',
    '--param', `seed=${i + 1}`, '--genesis', genesis]);
  outputs.push({ file, id });
}
console.log('\n-- an output sampled at temperature 1.5 breaks the approved limit and is not signed:');
writeFileSync(join(work, 'outputs/hot.txt'), generate(lm, { prompt: 'the ', maxTokens: 40, temperature: 1.5, seed: 9 }));
run(['output', 'sign', 'outputs/hot.txt', '--model', modelId, '--key', 'keys/server.pem', '--param', 'temperature=1.5', '--genesis', genesis],
  { expectExit: 1 });
summary.push(`outputs: ${outputs.length} signed within the voted temperature limit; one above it refused`);

step('7. Verify an output against the trust policy: the whole chain, down to the ballots');
writeFileSync(
  join(work, 'policy.yaml'),
  `version: 1
roles:
  publisher: { keys: [keys/publisher.pem.pub] }
  curator:   { keys: [keys/curator.pem.pub] }
  server:    { keys: [keys/server.pem.pub] }
  tallier:   { keys: [keys/tallier.pem.pub] }
kinds:
  weights:  { signedBy: publisher }
  model:    { signedBy: publisher, approval: adopt-model }
  dataset:  { signedBy: curator, approval: approve-dataset }
  output:   { signedBy: server }
  decision: { signedBy: tallier }
governance:
  genesis: ${genesis}
`,
);
const report = run(['verify', outputs[0].id, '--policy', 'policy.yaml', '--model-path', 'tiny-lm', '--json'], { json: true, quiet: true });
const kinds = {};
for (const r of report.chain) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
console.log(`verified: ${report.verified}; ${report.checks.length} checks over ${report.chain.length} records (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')})`);
console.log(JSON.stringify({ verified: report.verified, target: report.target }));
if (!report.verified) throw new Error('the untouched chain must verify');
run(['verify', '--content', outputs[1].file, '--policy', 'policy.yaml'], { quiet: true });
console.log(`(${outputs[1].file} found by its content digest and verified: exit 0)`);
summary.push(`provenant verify: the output chain verifies (${report.chain.length} records, ${report.checks.length} checks)`);

step('8. Tampering: an edited output, and edited weights');
const tampered = readFileSync(join(work, outputs[0].file), 'utf8').replace(/e/, 'E');
writeFileSync(join(work, 'outputs/tampered.txt'), tampered);
run(['verify', '--content', 'outputs/tampered.txt', '--policy', 'policy.yaml'], { expectExit: 1, quiet: true });
cpSync(modelDir, join(work, 'tiny-lm-tampered'), { recursive: true });
const weights = readFileSync(join(work, 'tiny-lm-tampered', 'model.safetensors'));
weights[weights.length - 1] ^= 0x01;
writeFileSync(join(work, 'tiny-lm-tampered', 'model.safetensors'), weights);
run(['verify', outputs[0].id, '--policy', 'policy.yaml', '--model-path', 'tiny-lm-tampered'], { expectExit: 1, quiet: true });
summary.push('tampering: an edited output and an edited weight file both fail verification');

step('9. Revocation by vote: outputs made after it fail, outputs made before still verify');
const revocation = vote(
  ['--as', 'bob', '--key', 'keys/bob.pem', '--action', 'revoke', '--target', modelId,
    '--title', 'Revoke tiny-lm 1.0', '--rationale', 'A licence problem was found in one training text'],
  { alice: 'for', bob: 'for', carol: 'for', dave: 'abstain' },
);
writeFileSync(join(work, 'outputs/late.txt'), `the ${generate(lm, { prompt: 'the ', maxTokens: 60, temperature: 0.8, seed: 42 })}`);
const late = run(['output', 'sign', 'outputs/late.txt', '--model', modelId, '--key', 'keys/server.pem', '--param', 'temperature=0.8']);
const lateReport = run(['verify', late, '--policy', 'policy.yaml', '--json'], { expectExit: 1, quiet: true });
const revoked = JSON.parse(lateReport.stdout).checks.filter((c) => !c.ok).map((c) => c.code);
console.log(`output made after the revocation: not verified (${[...new Set(revoked)].join(', ')})`);
run(['verify', outputs[0].id, '--policy', 'policy.yaml'], { quiet: true });
console.log('output made before the revocation: still verified (exit 0)');
summary.push(`revocation ${revocation.outcome}: later outputs fail (${[...new Set(revoked)].join(', ')}), earlier ones still verify`);

step('10. The governance history');
run(['log']);

console.log('\n=== Summary ===');
for (const line of summary) console.log(`- ${line}`);
console.log('\ndemo finished');
