/**
 * Governance (issue 4): electorates rotated TUF-style, proposals, ballots
 * bound to one proposal, decisions recomputed from their ballots. Each
 * attack named in the issue is rejected with its own code.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner, type Signer } from '../src/envelope/keys.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { canonicalJsonBytes } from '../src/lib/json.js';
import { castBallot, ballotProblem } from '../src/governance/ballot.js';
import { approvalProblem, computeOutcome, createDecision, tallyProposal, verifyDecision } from '../src/governance/decision.js';
import { createElectorate, loadElectorate, type VerifiedElectorate } from '../src/governance/electorate.js';
import { createProposal } from '../src/governance/proposal.js';
import { readRecord, type ReadRecord } from '../src/governance/read.js';
import { createRecord } from '../src/records/create-record.js';
import { recordSubject } from '../src/records/governance-kinds.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../src/records/oms/bundle.js';
import { STATEMENT_TYPE } from '../src/records/oms/statement.js';
import { PREDICATE_TYPES } from '../src/records/kinds.js';
import type { DecisionPredicate } from '../src/records/schema/governance.js';
import { DirectoryStore } from '../src/store/directory.js';
import { cleanupTemp, expectCode, makeTemp } from './helpers.js';

const T0 = new Date('2026-03-01T00:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const OPENS = at(0);
const CLOSES = at(60);

async function signer(alg: 'ed25519' | 'p256' = 'ed25519'): Promise<Signer> {
  return importSigner(generateKeyPair(alg).privateKeyPem);
}

const people: Record<string, Signer> = {};
let store: DirectoryStore;
let genesis: VerifiedElectorate;
const RULES = { method: 'single-choice' as const, quorum: 0.5, threshold: 0.5, proposers: ['developer', 'curator'] };

async function newStore(): Promise<DirectoryStore> {
  return new DirectoryStore(await makeTemp('provenant-gov-'));
}

async function put<T extends { envelopeBytes: Uint8Array; id: { toString(): string } }>(s: DirectoryStore, record: T): Promise<T> {
  await s.put(record.envelopeBytes);
  return record;
}

/** alice (developer, 2), bob (curator, 1, two keys), carol (user, 1), dave (user, 1, P-256): total weight 5. */
async function makeGenesis(s: DirectoryStore, when = T0): Promise<VerifiedElectorate> {
  const created = await createElectorate({
    name: 'stewards',
    members: [
      { id: 'alice', keys: [people.alice!.publicKey], weight: 2, roles: ['developer'] },
      { id: 'bob', keys: [people.bob!.publicKey, people.bob2!.publicKey], weight: 1, roles: ['curator'] },
      { id: 'carol', keys: [people.carol!.publicKey], weight: 1, roles: ['user'] },
      { id: 'dave', keys: [people.dave!.publicKey], weight: 1, roles: ['user'] },
    ],
    threshold: 2,
    rules: RULES,
    signers: [people.alice!, people.bob!],
    created: when,
  });
  await put(s, created);
  return loadElectorate(s, created.id.toString());
}

async function propose(s: DirectoryStore, electorate: VerifiedElectorate, extra: Partial<Parameters<typeof createProposal>[0]> = {}) {
  const record = await createProposal({
    electorate,
    proposer: 'alice',
    signer: people.alice!,
    action: 'set-parameter',
    parameter: { name: 'temperature', max: 1 },
    title: 'Cap the temperature',
    rationale: 'Outputs above 1.0 were incoherent in review.',
    opens: OPENS,
    closes: CLOSES,
    ...extra,
  });
  await put(s, record);
  return readRecord(s, record.id, ['proposal']);
}

async function vote(s: DirectoryStore, electorate: VerifiedElectorate, proposal: ReadRecord<'proposal'>, voter: string, choice: unknown, minutes = 10, who = voter) {
  const record = await castBallot({ proposal, electorate, voter, signer: people[who]!, choice, cast: at(minutes) });
  await put(s, record);
  return record;
}

beforeAll(async () => {
  for (const name of ['alice', 'bob', 'bob2', 'carol', 'outsider']) people[name] = await signer();
  people.dave = await signer('p256');
  store = await newStore();
  genesis = await makeGenesis(store);
});
afterAll(cleanupTemp);

describe('electorates', () => {
  it('a genesis is valid when a threshold of its members signed; weights and members load', () => {
    expect(genesis.version).toBe(1);
    expect(genesis.totalWeight).toBe(5);
    expect([...genesis.members.keys()]).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(genesis.rotations[0]!.newSigners).toEqual(['alice', 'bob']);
  });

  it('a genesis signed below its threshold is refused, and a stored one does not load', async () => {
    const s = await newStore();
    const input = {
      name: 'stewards',
      members: [
        { id: 'alice', keys: [people.alice!.publicKey], weight: 1 },
        { id: 'bob', keys: [people.bob!.publicKey], weight: 1 },
      ],
      threshold: 2,
      rules: RULES,
      signers: [people.alice!],
    };
    await expectCode(createElectorate(input), 'ERR_ROTATION_NEW_THRESHOLD');
    const partial = await createElectorate({ ...input, partial: true });
    expect(partial.rotation.ok).toBe(false);
    await s.put(partial.envelopeBytes);
    await expectCode(loadElectorate(s, partial.id), 'ERR_ROTATION_NEW_THRESHOLD');
  });

  it('one member signing with two keys counts once', async () => {
    const input = {
      name: 'pair',
      members: [
        { id: 'bob', keys: [people.bob!.publicKey, people.bob2!.publicKey], weight: 1 },
        { id: 'carol', keys: [people.carol!.publicKey], weight: 1 },
      ],
      threshold: 2,
      rules: RULES,
      signers: [people.bob!, people.bob2!],
    };
    await expectCode(createElectorate(input), 'ERR_ROTATION_NEW_THRESHOLD');
  });

  it('version N+1 needs a threshold of version N and of itself (TUF rotation)', async () => {
    const s = await newStore();
    const v1 = await makeGenesis(s, at(-5)); // not the shared genesis: written at another time, so another id
    const members = [
      { id: 'alice', keys: [people.alice!.publicKey], weight: 2, roles: ['developer'] },
      { id: 'erin', keys: [people.outsider!.publicKey], weight: 1, roles: ['user'] },
    ];
    // Signed only by the new members: the old threshold (2 of v1) is not met (alice alone is 1).
    await expectCode(
      createElectorate({ name: 'stewards', previous: v1, members, threshold: 2, rules: RULES, signers: [people.alice!, people.outsider!] }),
      'ERR_ROTATION_OLD_THRESHOLD',
    );
    // Signed by old members only: the new threshold (2 of v2) is not met.
    await expectCode(
      createElectorate({ name: 'stewards', previous: v1, members, threshold: 2, rules: RULES, signers: [people.bob!, people.carol!] }),
      'ERR_ROTATION_NEW_THRESHOLD',
    );
    const v2 = await createElectorate({
      name: 'stewards',
      previous: v1,
      members,
      threshold: 2,
      rules: RULES,
      signers: [people.alice!, people.bob!, people.outsider!],
    });
    await s.put(v2.envelopeBytes);
    const loaded = await loadElectorate(s, v2.id, { genesis: [v1.id] });
    expect(loaded.version).toBe(2);
    expect(loaded.history).toEqual([v1.id, v2.id.toString()]);
    expect(loaded.rotations[1]!.oldSigners).toEqual(['alice', 'bob']);
    expect(loaded.pinned).toBe(true);
    // A rotation stored without the old threshold does not load, whatever it claims. (Another `created`, so
    // another id: the same payload would share v2's id, and the store would merge the signatures.)
    const bad = await createElectorate({ name: 'stewards', previous: v1, members, threshold: 2, rules: RULES, signers: [people.alice!, people.outsider!], partial: true, created: at(1) });
    await s.put(bad.envelopeBytes);
    await expectCode(loadElectorate(s, bad.id), 'ERR_ROTATION_OLD_THRESHOLD');
    // A history that does not start at the pinned genesis is untrusted.
    await expectCode(loadElectorate(s, v2.id, { genesis: [genesis.id] }), 'ERR_ELECTORATE_UNTRUSTED');
  });

  it('refuses two members with one key, a bad threshold, and a genesis that names a previous version', async () => {
    const base = { name: 'x', rules: RULES, signers: [people.alice!] };
    await expectCode(
      createElectorate({
        ...base,
        members: [
          { id: 'a', keys: [people.alice!.publicKey], weight: 1 },
          { id: 'b', keys: [people.alice!.publicKey], weight: 1 },
        ],
        threshold: 1,
      }),
      'ERR_SCHEMA',
    );
    await expectCode(createElectorate({ ...base, members: [{ id: 'a', keys: [people.alice!.publicKey], weight: 1 }], threshold: 2 }), 'ERR_SCHEMA');
    await expectCode(createElectorate({ ...base, members: [{ id: 'a', keys: [people.alice!.publicKey], weight: 0 }], threshold: 1 }), 'ERR_SCHEMA');
  });
});

describe('proposals, ballots and decisions', () => {
  it('runs a vote end to end: the decision verifies by recomputation and approves', async () => {
    const s = await newStore();
    const e = await makeGenesis(s);
    const p = await propose(s, e);
    await vote(s, e, p, 'alice', 1);
    await vote(s, e, p, 'bob', 1, 12, 'bob2'); // bob votes with his second key
    await vote(s, e, p, 'carol', 2);
    await vote(s, e, p, 'dave', 3);
    const t = await tallyProposal(s, p.id, { at: at(30) });
    expect(t.allVoted).toBe(true);
    expect(t.windowClosed).toBe(false);
    expect(t.tally).toEqual({ method: 'single-choice', scores: [3, 1, 1], scoresTotal: 5, totalWeight: 5, voters: 4 });
    expect(t.outcome).toBe('approved');
    const decision = await put(s, await createDecision(t, { signer: people.carol!, decided: at(30) }));
    const v = await verifyDecision(s, decision.id, { genesis: [e.id] });
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.approved).toBe(true);
    expect(approvalProblem(v)).toBeUndefined();
  });

  it('abstaining counts toward quorum but not approval; quorum and threshold are fractions of total weight', async () => {
    const s = await newStore();
    const e = await makeGenesis(s);
    // Only bob and carol vote "for" (2 of 5): quorum 0.5 needs 2.5.
    const p1 = await propose(s, e);
    await vote(s, e, p1, 'bob', 1);
    await vote(s, e, p1, 'carol', 1);
    const t1 = await tallyProposal(s, p1.id, { at: at(61) });
    expect(t1).toMatchObject({ quorumMet: false, outcome: 'rejected', reason: 'quorum-not-met', windowClosed: true });
    const d1 = await put(s, await createDecision(t1, { signer: people.alice!, decided: at(61) }));
    const v1 = await verifyDecision(s, d1.id);
    expect(v1.ok).toBe(true);
    expect(approvalProblem(v1)?.code).toBe('ERR_QUORUM_NOT_MET');
    // alice abstains: quorum met (4 of 5), but "for" has 2 of 5 < 0.6.
    const p2 = await propose(s, e, { threshold: 0.6, title: 'Stricter' });
    await vote(s, e, p2, 'alice', 3);
    await vote(s, e, p2, 'bob', 1);
    await vote(s, e, p2, 'carol', 1);
    const t2 = await tallyProposal(s, p2.id, { at: at(61) });
    expect(t2).toMatchObject({ quorumMet: true, outcome: 'rejected', reason: 'threshold-not-met' });
    const d2 = await put(s, await createDecision(t2, { signer: people.alice!, decided: at(61) }));
    expect(approvalProblem(await verifyDecision(s, d2.id))?.code).toBe('ERR_APPROVAL_THRESHOLD_NOT_MET');
    // "against" scores as much as "for": not preferred.
    // Approval voting: alice and bob approve both "for" and "against" (3 each of 5): threshold met, not preferred.
    const p3 = await propose(s, e, { method: 'approval', title: 'Tied' });
    await vote(s, e, p3, 'alice', [1, 2]);
    await vote(s, e, p3, 'bob', [2, 1]);
    const t3 = await tallyProposal(s, p3.id, { at: at(61) });
    expect(t3).toMatchObject({ outcome: 'rejected', reason: 'not-preferred' });
    const d3 = await put(s, await createDecision(t3, { signer: people.alice!, decided: at(61) }));
    expect(approvalProblem(await verifyDecision(s, d3.id))?.code).toBe('ERR_NOT_PREFERRED');
  });

  it('the latest valid ballot of a voter counts', async () => {
    const s = await newStore();
    const e = await makeGenesis(s);
    const p = await propose(s, e);
    const first = await vote(s, e, p, 'alice', 2, 5);
    await vote(s, e, p, 'alice', 1, 20);
    await vote(s, e, p, 'bob', 1);
    const t = await tallyProposal(s, p.id, { at: at(61) });
    expect(t.superseded).toEqual([first.id.toString()]);
    expect(t.tally.scores).toEqual([3, 0, 0]);
  });

  it('gov tally refuses before the window closes unless every member voted', async () => {
    const s = await newStore();
    const e = await makeGenesis(s);
    const p = await propose(s, e);
    await vote(s, e, p, 'alice', 1);
    const t = await tallyProposal(s, p.id, { at: at(30) });
    await expectCode(createDecision(t, { signer: people.alice!, decided: at(30) }), 'ERR_WINDOW_OPEN');
  });

  it('refuses a proposal by a member without a proposer role, and one looser than the rules', async () => {
    await expectCode(propose(store, genesis, { proposer: 'carol', signer: people.carol! }), 'ERR_PROPOSER_NOT_ALLOWED');
    await expectCode(propose(store, genesis, { proposer: 'carol', signer: people.alice! }), 'ERR_NOT_MEMBER');
    await expectCode(propose(store, genesis, { quorum: 0.1 }), 'ERR_USAGE');
  });

  it('refuses to cast a ballot outside the window, by a non-member, or with an invalid choice', async () => {
    const p = await propose(store, genesis);
    await expectCode(castBallot({ proposal: p, electorate: genesis, voter: 'alice', signer: people.alice!, choice: 1, cast: at(61) }), 'ERR_WINDOW_CLOSED');
    await expectCode(castBallot({ proposal: p, electorate: genesis, voter: 'mallory', signer: people.outsider!, choice: 1, cast: at(5) }), 'ERR_NOT_MEMBER');
    await expectCode(castBallot({ proposal: p, electorate: genesis, voter: 'alice', signer: people.bob!, choice: 1, cast: at(5) }), 'ERR_NOT_MEMBER');
    await expectCode(castBallot({ proposal: p, electorate: genesis, voter: 'alice', signer: people.alice!, choice: 4, cast: at(5) }), 'ERR_USAGE');
  });
});

/** Sign a ballot by hand: what an attacker (or a buggy client) can put in a store. */
async function rawBallot(s: DirectoryStore, predicate: Record<string, unknown>, signers: Signer[]) {
  const statement = { _type: STATEMENT_TYPE, subject: [recordSubject(predicate.proposal as string)], predicateType: PREDICATE_TYPES.ballot, predicate };
  const payload = canonicalJsonBytes(statement);
  const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, signers);
  const id = await s.put(JSON.stringify(envelope));
  return id.toString();
}

/** Sign a decision by hand from a predicate (the tallier can write anything). */
async function rawDecision(s: DirectoryStore, predicate: DecisionPredicate) {
  const record = await createRecord({ kind: 'decision', subject: [recordSubject(predicate.proposal)], predicate, signers: [people.outsider!] });
  await s.put(record.envelopeBytes);
  return record.id.toString();
}

describe('attacks on a decision: each fails with its own code, and the untouched decision passes', () => {
  let s: DirectoryStore;
  let e: VerifiedElectorate;
  let p: ReadRecord<'proposal'>;
  let honest: DecisionPredicate;

  beforeAll(async () => {
    s = await newStore();
    e = await makeGenesis(s);
    p = await propose(s, e);
    await vote(s, e, p, 'alice', 1);
    await vote(s, e, p, 'bob', 1);
    await vote(s, e, p, 'carol', 2);
    const t = await tallyProposal(s, p.id, { at: at(61) });
    const d = await put(s, await createDecision(t, { signer: people.outsider!, decided: at(61) }));
    honest = d.statement.predicate;
    const v = await verifyDecision(s, d.id, { genesis: [e.id] });
    expect(v.problems).toEqual([]);
    expect(v.approved).toBe(true);
  });

  async function problemsOf(predicate: DecisionPredicate): Promise<string[]> {
    const v = await verifyDecision(s, await rawDecision(s, predicate), { genesis: [e.id] });
    expect(v.ok).toBe(false);
    expect(v.approved).toBe(false);
    return v.problems.map((x) => x.code);
  }

  function withBallot(id: string, scores: number[], total: number): DecisionPredicate {
    const ballots = [...honest.ballots, id].sort();
    return { ...honest, ballots, tally: { ...honest.tally, scores, scoresTotal: total, voters: ballots.length } };
  }

  it('a forged ballot (dave\'s name, outsider\'s key)', async () => {
    const id = await rawBallot(s, { proposal: p.idString, electorate: e.id, voter: 'dave', choice: 1, cast: at(10).toISOString() }, [people.outsider!]);
    expect(await problemsOf(withBallot(id, [5, 1, 0], 5))).toContain('ERR_BALLOT_FORGED');
  });

  it('a ballot by a non-member', async () => {
    const id = await rawBallot(s, { proposal: p.idString, electorate: e.id, voter: 'mallory', choice: 1, cast: at(10).toISOString() }, [people.outsider!]);
    expect(await problemsOf(withBallot(id, [4, 1, 0], 4))).toContain('ERR_BALLOT_NOT_MEMBER');
  });

  it('a ballot cast after the window', async () => {
    const id = await rawBallot(s, { proposal: p.idString, electorate: e.id, voter: 'dave', choice: 1, cast: at(70).toISOString() }, [people.dave!]);
    expect(await problemsOf({ ...withBallot(id, [5, 1, 0], 5), decided: at(80).toISOString() })).toContain('ERR_BALLOT_OUTSIDE_WINDOW');
  });

  it('a double ballot (two ballots of one voter counted)', async () => {
    const id = await rawBallot(s, { proposal: p.idString, electorate: e.id, voter: 'alice', choice: 1, cast: at(5).toISOString() }, [people.alice!]);
    const codes = await problemsOf(withBallot(id, [5, 1, 0], 6));
    expect(codes).toContain('ERR_BALLOT_DUPLICATE');
  });

  it('a ballot replayed from another proposal', async () => {
    const other = await propose(s, e, { title: 'Another' });
    const replayed = await vote(s, e, other, 'dave', 1);
    const codes = await problemsOf(withBallot(replayed.id.toString(), [5, 1, 0], 5));
    expect(codes).toContain('ERR_BALLOT_WRONG_PROPOSAL');
  });

  it('a decision whose stated tally differs from the recomputed one', async () => {
    expect(await problemsOf({ ...honest, tally: { ...honest.tally, scores: [3, 0, 0] } })).toEqual(['ERR_TALLY_MISMATCH']);
  });

  it('a decision that drops an "against" ballot to flip the outcome', async () => {
    const kept: string[] = [];
    for (const id of honest.ballots) {
      const b = await readRecord(s, id, ['ballot']);
      if (b.predicate.voter !== 'carol') kept.push(id);
    }
    const codes = await problemsOf({ ...honest, ballots: kept, tally: { ...honest.tally, scores: [3, 0, 0], scoresTotal: 3, voters: 2 } });
    expect(codes).toEqual(['ERR_BALLOT_OMITTED']);
  });

  it('a decision that states approved where the rules reject (quorum not met)', async () => {
    const q = await propose(s, e, { title: 'Quiet' });
    await vote(s, e, q, 'bob', 1);
    const t = await tallyProposal(s, q.id, { at: at(61) });
    expect(t.outcome).toBe('rejected');
    const stated: DecisionPredicate = { ...(await createDecision(t, { signer: people.alice!, decided: at(61) })).statement.predicate };
    delete stated.reason;
    stated.outcome = 'approved';
    stated.quorumMet = true;
    const v = await verifyDecision(s, await rawDecision(s, stated));
    expect(v.problems.map((x) => x.code)).toEqual(['ERR_OUTCOME_MISMATCH']);
  });

  it('a decision made before the window closed while members had not voted', async () => {
    expect(await problemsOf({ ...honest, decided: at(30).toISOString() })).toEqual(['ERR_DECISION_EARLY']);
  });

  it('a decision whose electorate is not pinned', async () => {
    const other = await newStore();
    // Records are content-addressed: the same genesis written again has the same id; one written later does not.
    expect((await makeGenesis(other)).id).toBe(e.id);
    const g = await makeGenesis(other, at(-1));
    expect(g.id).not.toBe(e.id);
    const v = await verifyDecision(s, await rawDecision(s, honest), { genesis: [g.id] });
    expect(v.problems.map((x) => x.code)).toEqual(['ERR_ELECTORATE_UNTRUSTED']);
  });
});

describe('properties', () => {
  it('a tally does not depend on ballot order, and a non-member ballot never changes the outcome', async () => {
    const s = await newStore();
    const e = await makeGenesis(s);
    const p = await propose(s, e, { method: 'weighted', choices: ['for', 'against', 'abstain'], approve: 1, abstain: 3 });
    const voters = ['alice', 'bob', 'carol', 'dave'];
    const ballots: ReadRecord<'ballot'>[] = [];
    const choices = [{ 1: 3, 2: 1 }, { 2: 1 }, { 1: 1, 2: 1, 3: 1 }, { 1: 7, 3: 2 }];
    for (let i = 0; i < voters.length; i++) {
      const b = await vote(s, e, p, voters[i]!, choices[i]);
      ballots.push(await readRecord(s, b.id, ['ballot']));
    }
    const outsiderId = await rawBallot(s, { proposal: p.idString, electorate: e.id, voter: 'mallory', choice: { 2: 5 }, cast: at(10).toISOString() }, [people.outsider!]);
    const outsider = await readRecord(s, outsiderId, ['ballot']);
    expect(ballotProblem(outsider, p, e)?.code).toBe('ERR_BALLOT_NOT_MEMBER');
    const reference = computeOutcome(p, e, ballots);
    fc.assert(
      fc.property(fc.shuffledSubarray(ballots, { minLength: ballots.length, maxLength: ballots.length }), (order) => {
        const got = computeOutcome(p, e, order);
        expect(got.tally).toEqual(reference.tally);
        expect(got.outcome).toBe(reference.outcome);
      }),
      { numRuns: 50 },
    );
    // Tallying through the store: the outsider's ballot is rejected, the outcome unchanged.
    const t = await tallyProposal(s, p.id, { at: at(61) });
    expect(t.tally).toEqual(reference.tally);
    expect(t.rejected.map((r) => r.code)).toEqual(['ERR_BALLOT_NOT_MEMBER']);
  });

  it('for random votes, adding ballots by non-members never changes the tally or the outcome', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.constantFrom(1, 2, 3), { nil: undefined }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.constantFrom(1, 2, 3), { minLength: 1, maxLength: 3 }),
        async (memberChoices, outsiderChoices) => {
          const s = await newStore();
          const e = await makeGenesis(s);
          const p = await propose(s, e);
          const members = ['alice', 'bob', 'carol', 'dave'];
          for (let i = 0; i < 4; i++) if (memberChoices[i] !== undefined) await vote(s, e, p, members[i]!, memberChoices[i]);
          const before = await tallyProposal(s, p.id, { at: at(61) });
          for (const [i, c] of outsiderChoices.entries()) {
            await rawBallot(s, { proposal: p.idString, electorate: e.id, voter: 'mallory', choice: c, cast: at(5 + i).toISOString() }, [people.outsider!]);
          }
          const after = await tallyProposal(s, p.id, { at: at(61) });
          expect(after.tally).toEqual(before.tally);
          expect(after.outcome).toBe(before.outcome);
          expect(after.rejected.map((r) => r.code)).toEqual(outsiderChoices.map(() => 'ERR_BALLOT_NOT_MEMBER'));
        },
      ),
      { numRuns: 12 },
    );
  });
});
