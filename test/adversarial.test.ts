/**
 * The adversarial suite of issue 8, governance part: chains whose model
 * approval was forged, each named for its attack, verified with
 * `verifyChain` and the real governance plug-in under a policy that requires
 * every model to be adopted by vote. Each fails with its documented code;
 * the untouched chain passes. (The other attacks of the list, on weights,
 * signatures, ids and thresholds, are in test/verify.test.ts.)
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner, type Signer } from '../src/envelope/keys.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { canonicalJsonBytes } from '../src/lib/json.js';
import { castBallot } from '../src/governance/ballot.js';
import { createDecision, tallyProposal } from '../src/governance/decision.js';
import { createElectorate, loadElectorate, type VerifiedElectorate } from '../src/governance/electorate.js';
import { createProposal } from '../src/governance/proposal.js';
import { readRecord, type ReadRecord } from '../src/governance/read.js';
import { createGovernanceVerifier } from '../src/governance/verifier.js';
import { createRecord } from '../src/records/create-record.js';
import { recordSubject } from '../src/records/governance-kinds.js';
import { PREDICATE_TYPES } from '../src/records/kinds.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../src/records/oms/bundle.js';
import { STATEMENT_TYPE } from '../src/records/oms/statement.js';
import type { DecisionPredicate } from '../src/records/schema/governance.js';
import { DirectoryStore } from '../src/store/directory.js';
import { memoStore } from '../src/store/memo.js';
import { verifyChain } from '../src/verify/chain.js';
import { parsePolicy, type TrustPolicy } from '../src/verify/policy.js';
import { cleanupTemp, makeTemp } from './helpers.js';
import { buildChain, policyYaml, type TestChain } from './verify-helpers.js';

const HOUR = 3_600_000;
const T0 = Date.now() - 48 * HOUR;
const at = (hours: number) => new Date(T0 + hours * HOUR);

let chain: TestChain;
let base: string;
let council: Signer[];
let outsider: Signer;
let genesisId: string;
let policy: TrustPolicy;

/** A fresh copy of the base store (the model, its datasets, the electorate), for one attack. */
async function storeCopy(): Promise<DirectoryStore> {
  const dir = join(await makeTemp('provenant-attack-'), 'store');
  await cp(base, dir, { recursive: true });
  return new DirectoryStore(dir);
}

async function propose(store: DirectoryStore, electorate: VerifiedElectorate, target: string, title: string): Promise<ReadRecord<'proposal'>> {
  const p = await createProposal({
    electorate,
    proposer: 'm0',
    signer: council[0]!,
    action: 'adopt-model',
    targets: [target],
    title,
    rationale: 'test',
    opens: at(0),
    closes: at(24),
  });
  await store.put(p.envelopeBytes);
  return readRecord(store, p.id, ['proposal']);
}

async function ballot(store: DirectoryStore, electorate: VerifiedElectorate, proposal: ReadRecord<'proposal'>, member: number, choice: number): Promise<string> {
  const b = await castBallot({ proposal, electorate, voter: `m${member}`, signer: council[member]!, choice, cast: at(1 + member) });
  return (await store.put(b.envelopeBytes)).toString();
}

/** A decision as a dishonest tallier writes it: any predicate, signed by anyone. */
async function forgeDecision(store: DirectoryStore, predicate: DecisionPredicate): Promise<string> {
  const record = await createRecord({ kind: 'decision', subject: [recordSubject(predicate.proposal)], predicate, signers: [outsider] });
  return (await store.put(record.envelopeBytes)).toString();
}

async function verifyModel(store: DirectoryStore) {
  const cached = memoStore(store);
  const report = await verifyChain(chain.modelId, { store: cached, policy, governance: createGovernanceVerifier(cached) });
  return { verified: report.verified, codes: [...new Set(report.checks.filter((c) => !c.ok).map((c) => c.code))] };
}

beforeAll(async () => {
  chain = await buildChain();
  base = chain.storeDir;
  council = await Promise.all([0, 1, 2].map(async () => importSigner(generateKeyPair('ed25519').privateKeyPem)));
  outsider = await importSigner(generateKeyPair('ed25519').privateKeyPem);
  const genesis = await createElectorate({
    name: 'council',
    members: council.map((s, i) => ({ id: `m${i}`, keys: [s.publicKey], weight: 1, roles: ['developer'] })),
    threshold: 2,
    rules: { method: 'single-choice', quorum: 0.5, threshold: 0.5 },
    signers: [council[0]!, council[1]!],
    created: at(-1),
  });
  genesisId = (await chain.store.put(genesis.envelopeBytes)).toString();
  // The parent model is adopted honestly in the base store, so only the model's own approval is at stake.
  const electorate = await loadElectorate(chain.store, genesisId, { genesis: [genesisId] });
  const parent = await propose(chain.store, electorate, chain.parentId, 'adopt the parent');
  for (const m of [0, 1]) await ballot(chain.store, electorate, parent, m, 1);
  const t = await tallyProposal(chain.store, parent.id, { genesis: [genesisId], at: at(25) });
  await chain.store.put((await createDecision(t, { signer: council[0]!, decided: at(25) })).envelopeBytes);
  policy = await parsePolicy(
    `${policyYaml().replace('model: { signedBy: publisher }', 'model: { signedBy: publisher, approval: adopt-model }')}governance: { genesis: ${genesisId} }\n`,
    { baseDir: chain.dir },
  );
}, 120_000);
afterAll(cleanupTemp);

describe('attacks on a model approval (verifyChain, real governance plug-in)', () => {
  it('the untouched chain: an honest adoption (2 of 3 for) verifies', async () => {
    const store = await storeCopy();
    const e = await loadElectorate(store, genesisId, { genesis: [genesisId] });
    const p = await propose(store, e, chain.modelId, 'adopt');
    await ballot(store, e, p, 0, 1);
    await ballot(store, e, p, 1, 1);
    await ballot(store, e, p, 2, 2);
    const t = await tallyProposal(store, p.id, { genesis: [genesisId], at: at(25) });
    await store.put((await createDecision(t, { signer: outsider, decided: at(25) })).envelopeBytes);
    expect(await verifyModel(store)).toEqual({ verified: true, codes: [] });
  });

  it('without any decision, the required approval is missing (ERR_APPROVAL_MISSING)', async () => {
    const store = await storeCopy();
    expect(await verifyModel(store)).toEqual({ verified: false, codes: ['ERR_APPROVAL_MISSING'] });
  });

  it('a model whose approval decision counts a forged ballot (ERR_BALLOT_FORGED)', async () => {
    const store = await storeCopy();
    const e = await loadElectorate(store, genesisId, { genesis: [genesisId] });
    const p = await propose(store, e, chain.modelId, 'adopt');
    const honest = await ballot(store, e, p, 0, 1);
    // m1 voted against; the forger writes a "for" ballot in m2's name, signed by an outsider's key.
    await ballot(store, e, p, 1, 2);
    const statement = {
      _type: STATEMENT_TYPE,
      subject: [recordSubject(p.idString)],
      predicateType: PREDICATE_TYPES.ballot,
      predicate: { proposal: p.idString, electorate: genesisId, voter: 'm2', choice: 1, cast: at(3).toISOString() },
    };
    const forged = (await store.put(JSON.stringify(await signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalJsonBytes(statement), [outsider])))).toString();
    const predicate: DecisionPredicate = {
      proposal: p.idString,
      electorate: genesisId,
      ballots: [honest, forged].sort(),
      tally: { method: 'single-choice', scores: [2, 0, 0], scoresTotal: 2, totalWeight: 3, voters: 2 },
      quorumMet: true,
      outcome: 'approved',
      decided: at(25).toISOString(),
    };
    await forgeDecision(store, predicate);
    const result = await verifyModel(store);
    expect(result.verified).toBe(false);
    expect(result.codes).toContain('ERR_BALLOT_FORGED');
  });

  it('a decision whose tally was edited (ERR_TALLY_MISMATCH, ERR_OUTCOME_MISMATCH)', async () => {
    const store = await storeCopy();
    const e = await loadElectorate(store, genesisId, { genesis: [genesisId] });
    const p = await propose(store, e, chain.modelId, 'adopt');
    await ballot(store, e, p, 0, 1);
    await ballot(store, e, p, 1, 2);
    await ballot(store, e, p, 2, 2);
    const t = await tallyProposal(store, p.id, { genesis: [genesisId], at: at(25) });
    expect(t.outcome).toBe('rejected');
    const honest = (await createDecision(t, { signer: outsider, decided: at(25) })).statement.predicate;
    const edited: DecisionPredicate = { ...honest, tally: { ...honest.tally, scores: [2, 1, 0] }, outcome: 'approved' };
    delete edited.reason;
    await forgeDecision(store, edited);
    const result = await verifyModel(store);
    expect(result.verified).toBe(false);
    expect(result.codes).toEqual(expect.arrayContaining(['ERR_TALLY_MISMATCH', 'ERR_OUTCOME_MISMATCH']));
  });

  it('a ballot replayed from another proposal (ERR_BALLOT_WRONG_PROPOSAL)', async () => {
    const store = await storeCopy();
    const e = await loadElectorate(store, genesisId, { genesis: [genesisId] });
    // Members 1 and 2 voted "for" on another proposal; on this one they voted against.
    const other = await propose(store, e, chain.parentId, 'adopt the parent again');
    const replayed = [await ballot(store, e, other, 1, 1), await ballot(store, e, other, 2, 1)];
    const p = await propose(store, e, chain.modelId, 'adopt');
    const mine = await ballot(store, e, p, 0, 1);
    const predicate: DecisionPredicate = {
      proposal: p.idString,
      electorate: genesisId,
      ballots: [mine, ...replayed].sort(),
      tally: { method: 'single-choice', scores: [3, 0, 0], scoresTotal: 3, totalWeight: 3, voters: 3 },
      quorumMet: true,
      outcome: 'approved',
      decided: at(25).toISOString(),
    };
    await forgeDecision(store, predicate);
    const result = await verifyModel(store);
    expect(result.verified).toBe(false);
    expect(result.codes).toContain('ERR_BALLOT_WRONG_PROPOSAL');
  });

  it('a decision by an electorate that does not descend from the pinned genesis (ERR_ELECTORATE_UNTRUSTED)', async () => {
    const store = await storeCopy();
    // The attacker founds their own electorate of one and approves the model alone.
    const solo = await createElectorate({
      name: 'council',
      members: [{ id: 'm0', keys: [outsider.publicKey], weight: 1 }],
      threshold: 1,
      rules: { method: 'single-choice', quorum: 0.5, threshold: 0.5 },
      signers: [outsider],
      created: at(-1),
    });
    await store.put(solo.envelopeBytes);
    const e = await loadElectorate(store, solo.id);
    const p = await createProposal({ electorate: e, proposer: 'm0', signer: outsider, action: 'adopt-model', targets: [chain.modelId], title: 'mine', rationale: 'x', opens: at(0), closes: at(24) });
    await store.put(p.envelopeBytes);
    const read = await readRecord(store, p.id, ['proposal']);
    await store.put((await castBallot({ proposal: read, electorate: e, voter: 'm0', signer: outsider, choice: 1, cast: at(1) })).envelopeBytes);
    const t = await tallyProposal(store, p.id, { at: at(25) });
    expect(t.outcome).toBe('approved');
    await store.put((await createDecision(t, { signer: outsider, decided: at(25) })).envelopeBytes);
    const result = await verifyModel(store);
    expect(result.verified).toBe(false);
    expect(result.codes).toContain('ERR_ELECTORATE_UNTRUSTED');
  });
});
