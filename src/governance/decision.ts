import type { Signer } from '../envelope/keys.js';
import { InputError, VerificationError, type VerificationErrorCode } from '../lib/errors.js';
import { createRecord } from '../records/create-record.js';
import { recordSubject } from '../records/governance-kinds.js';
import type { DecisionPredicate, DecisionTally, REJECTION_REASONS } from '../records/schema/governance.js';
import type { CreatedRecord } from '../records/types.js';
import type { RecordIdInput, RecordStore } from '../store/types.js';
import { ballotProblem, ballotProblemAsync, compareBallots } from './ballot.js';
import { loadElectorate, type VerifiedElectorate } from './electorate.js';
import { GovernanceIndex } from './index-store.js';
import { proposalProblems, windowOf } from './proposal.js';
import { asProblem, formatTime, readRecord, timeOf, toDate, type GovernanceProblem, type ReadRecord } from './read.js';
import { isValidChoice, tallyVotes } from './tally.js';

/** Why a decision is `rejected`. */
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** A tally computed from ballots, and the outcome the proposal's rules give it. */
export interface ComputedOutcome {
  tally: DecisionTally;
  quorumMet: boolean;
  outcome: 'approved' | 'rejected';
  reason?: RejectionReason;
  /** The ballots counted (valid choice), sorted by id. */
  counted: ReadRecord<'ballot'>[];
  /** Ballots dropped because the method does not accept their choice. */
  dropped: ReadRecord<'ballot'>[];
}

/**
 * Tally valid ballots (one per voter) by the proposal's method and apply its
 * rules. Ballots are tallied in voter-id order, so the result never depends
 * on the order they are given in. Each voter's weight is their member
 * weight, counted once. Quorum: the counted weight (abstentions included)
 * reaches `quorum` x total electorate weight. Approved: quorum met, the
 * approving choice scores at least `threshold` x total weight, and more than
 * every other choice except abstain.
 *
 * @param proposal the proposal
 * @param electorate its electorate
 * @param ballots valid ballots, at most one per voter
 * @returns the tally and outcome
 * @throws RangeError when two ballots share a voter
 * @example
 * ```ts
 * const { outcome, tally } = computeOutcome(proposal, electorate, ballots);
 * ```
 */
export function computeOutcome(
  proposal: ReadRecord<'proposal'>,
  electorate: VerifiedElectorate,
  ballots: readonly ReadRecord<'ballot'>[],
): ComputedOutcome {
  const p = proposal.predicate;
  const sorted = [...ballots].sort((a, b) =>
    a.predicate.voter < b.predicate.voter ? -1 : a.predicate.voter > b.predicate.voter ? 1 : a.idString < b.idString ? -1 : 1,
  );
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.predicate.voter === sorted[i - 1]!.predicate.voter) throw new RangeError(`two ballots of voter ${sorted[i]!.predicate.voter}`);
  }
  const counted: ReadRecord<'ballot'>[] = [];
  const dropped: ReadRecord<'ballot'>[] = [];
  for (const b of sorted) (isValidChoice(p.method, b.predicate.choice, p.choices.length) ? counted : dropped).push(b);
  const votes = counted.map((b) => ({ choice: b.predicate.choice, balance: electorate.members.get(b.predicate.voter)!.weight }));
  const t = tallyVotes(p.method, p.choices.length, votes);
  const totalWeight = electorate.totalWeight;
  const tally: DecisionTally = { method: p.method, scores: t.scores, scoresTotal: t.scoresTotal, totalWeight, voters: t.counted };
  const quorumMet = t.scoresTotal >= p.quorum * totalWeight;
  const support = t.scores[p.approve - 1]!;
  const preferred = t.scores.every((s, i) => i === p.approve - 1 || i === (p.abstain ?? 0) - 1 || s < support);
  let reason: RejectionReason | undefined;
  if (!quorumMet) reason = 'quorum-not-met';
  else if (!(support >= p.threshold * totalWeight)) reason = 'threshold-not-met';
  else if (!preferred) reason = 'not-preferred';
  counted.sort((a, b) => (a.idString < b.idString ? -1 : 1));
  return { tally, quorumMet, outcome: reason ? 'rejected' : 'approved', ...(reason ? { reason } : {}), counted, dropped };
}

/** A proposal's tally from the ballots in a store. */
export interface ProposalTally extends ComputedOutcome {
  proposal: ReadRecord<'proposal'>;
  electorate: VerifiedElectorate;
  /** Ballots in the store that do not count, and why. */
  rejected: GovernanceProblem[];
  /** Ids of valid ballots replaced by the same voter's later ballot. */
  superseded: string[];
  /** True when every member has a counted ballot. */
  allVoted: boolean;
  /** True when `at` is past the window's end. */
  windowClosed: boolean;
}

/** Options of {@link tallyProposal} and {@link verifyDecision}. */
export interface GovernanceOptions {
  /** Trusted electorate genesis ids; absent: the history's own genesis (reported as not pinned). */
  genesis?: readonly string[];
  /** An index of the store, when the caller has one already. */
  index?: GovernanceIndex;
  /**
   * Ballot verdicts already reached, by `<ballot id> <electorate id>` (a ballot's signature is
   * checked once however many times it is met). Share one map only across checks of the same store.
   */
  ballotVerdicts?: Map<string, GovernanceProblem | undefined>;
}

/**
 * Reach the verdict on every ballot not yet in `verdicts`, checking their
 * signatures concurrently on the thread pool.
 *
 * @param ballots the ballots
 * @param proposal their proposal
 * @param electorate the proposal's electorate
 * @param verdicts where verdicts are kept (keys as {@link ballotVerdict} makes them)
 * @returns when every verdict is in `verdicts`
 * @example
 * ```ts
 * await prefetchVerdicts(index.ballotsFor(proposal.idString), proposal, electorate, verdicts);
 * ```
 */
export async function prefetchVerdicts(
  ballots: readonly ReadRecord<'ballot'>[],
  proposal: ReadRecord<'proposal'>,
  electorate: VerifiedElectorate,
  verdicts: Map<string, GovernanceProblem | undefined>,
): Promise<void> {
  const unchecked = new Map<string, ReadRecord<'ballot'>>();
  for (const b of ballots) {
    const key = verdictKey(b, proposal, electorate);
    if (!verdicts.has(key)) unchecked.set(key, b);
  }
  const results = await Promise.all([...unchecked.values()].map((b) => ballotProblemAsync(b, proposal, electorate)));
  [...unchecked.keys()].forEach((key, i) => verdicts.set(key, results[i]));
}

function verdictKey(ballot: ReadRecord<'ballot'>, proposal: ReadRecord<'proposal'>, electorate: VerifiedElectorate): string {
  return `${ballot.idString} ${proposal.idString} ${electorate.id}`;
}

/**
 * {@link ballotProblem}, remembered in `verdicts` when given.
 *
 * @param ballot the ballot
 * @param proposal its proposal
 * @param electorate the proposal's electorate
 * @param verdicts verdicts already reached
 * @returns the problem, or undefined when the ballot counts
 * @example
 * ```ts
 * const problem = ballotVerdict(ballot, proposal, electorate, new Map());
 * ```
 */
export function ballotVerdict(
  ballot: ReadRecord<'ballot'>,
  proposal: ReadRecord<'proposal'>,
  electorate: VerifiedElectorate,
  verdicts: Map<string, GovernanceProblem | undefined> | undefined,
): GovernanceProblem | undefined {
  if (!verdicts) return ballotProblem(ballot, proposal, electorate);
  const key = verdictKey(ballot, proposal, electorate);
  if (verdicts.has(key)) return verdicts.get(key);
  const verdict = ballotProblem(ballot, proposal, electorate);
  verdicts.set(key, verdict);
  return verdict;
}

function latestPerVoter(valid: readonly ReadRecord<'ballot'>[]): { latest: ReadRecord<'ballot'>[]; superseded: string[] } {
  const byVoter = new Map<string, ReadRecord<'ballot'>>();
  const superseded: string[] = [];
  for (const b of valid) {
    const seen = byVoter.get(b.predicate.voter);
    if (seen === undefined) byVoter.set(b.predicate.voter, b);
    else if (compareBallots(b, seen) > 0) {
      superseded.push(seen.idString);
      byVoter.set(b.predicate.voter, b);
    } else superseded.push(b.idString);
  }
  return { latest: [...byVoter.values()], superseded };
}

function firstProblem(problems: readonly GovernanceProblem[]): never {
  const p = problems[0]!;
  throw new VerificationError(p.code, `${p.record}: ${p.message}`);
}

/**
 * Tally proposal `id` from every ballot in the store: each ballot is checked
 * (bound to this proposal, by a member, signed by the voter, inside the
 * window), the voter's latest valid ballot counts, and the proposal's rules
 * give the outcome.
 *
 * @param store the store holding the proposal, its electorate and the ballots
 * @param id the proposal id
 * @param options trusted genesis, `at` (default now: decides `windowClosed`), an index
 * @returns the tally, the outcome, and every ballot that did not count with its reason
 * @throws VerificationError when the proposal or its electorate does not hold (`ERR_PROPOSAL_FORGED`, `ERR_ELECTORATE_UNTRUSTED`, ...)
 * @example
 * ```ts
 * const t = await tallyProposal(store, proposalId);
 * if (t.windowClosed || t.allVoted) await createDecision(t, { signer });
 * ```
 */
export async function tallyProposal(store: RecordStore, id: RecordIdInput, options: GovernanceOptions & { at?: Date | string } = {}): Promise<ProposalTally> {
  const proposal = await readRecord(store, id, ['proposal']);
  const electorate = await loadElectorate(store, proposal.predicate.electorate, options.genesis ? { genesis: options.genesis } : {});
  const problems = proposalProblems(proposal, electorate);
  if (problems.length > 0) firstProblem(problems);
  const index = options.index ?? (await GovernanceIndex.build(store));
  const rejected: GovernanceProblem[] = [];
  const valid: ReadRecord<'ballot'>[] = [];
  const verdicts = options.ballotVerdicts ?? new Map<string, GovernanceProblem | undefined>();
  await prefetchVerdicts(index.ballotsFor(proposal.idString), proposal, electorate, verdicts);
  for (const b of index.ballotsFor(proposal.idString)) {
    const problem = ballotVerdict(b, proposal, electorate, verdicts);
    if (problem) rejected.push(problem);
    else valid.push(b);
  }
  const { latest, superseded } = latestPerVoter(valid);
  const outcome = computeOutcome(proposal, electorate, latest);
  for (const b of outcome.dropped) {
    rejected.push({ code: 'ERR_BALLOT_INVALID_CHOICE', record: b.idString, message: `choice ${JSON.stringify(b.predicate.choice)} is not valid for ${proposal.predicate.method}` });
  }
  const voters = new Set(outcome.counted.map((b) => b.predicate.voter));
  const at = toDate(options.at ?? new Date(), 'at').getTime();
  return {
    ...outcome,
    proposal,
    electorate,
    rejected,
    superseded,
    allVoted: [...electorate.members.keys()].every((m) => voters.has(m)),
    windowClosed: at > windowOf(proposal.predicate).closes,
  };
}

/**
 * The decision predicate of a tally.
 *
 * @param t the tally
 * @param decided when it was decided
 * @returns the predicate
 * @example
 * ```ts
 * decisionPredicate(t, new Date())
 * ```
 */
export function decisionPredicate(t: ComputedOutcome & { proposal: ReadRecord<'proposal'> }, decided: Date): DecisionPredicate {
  return {
    proposal: t.proposal.idString,
    electorate: t.proposal.predicate.electorate,
    ballots: t.counted.map((b) => b.idString),
    tally: t.tally,
    quorumMet: t.quorumMet,
    outcome: t.outcome,
    ...(t.reason ? { reason: t.reason } : {}),
    decided: formatTime(decided),
  };
}

/**
 * Sign the decision of a tally. Refused while the window is open, unless
 * every member has voted (nothing can change the outcome then).
 *
 * @param t the tally from {@link tallyProposal}
 * @param options the tallier's signer, and when it is decided (default now)
 * @returns the signed decision
 * @throws InputError `ERR_WINDOW_OPEN`
 * @example
 * ```ts
 * const decision = await createDecision(await tallyProposal(store, id), { signer });
 * ```
 */
export async function createDecision(t: ProposalTally, options: { signer: Signer; decided?: Date | string }): Promise<CreatedRecord<'decision'>> {
  const decided = toDate(options.decided ?? new Date(), 'decided');
  const closes = windowOf(t.proposal.predicate).closes;
  if (decided.getTime() <= closes && !t.allVoted) {
    throw new InputError(
      'ERR_WINDOW_OPEN',
      `the voting window closes at ${t.proposal.predicate.closes} and ${t.electorate.members.size - new Set(t.counted.map((b) => b.predicate.voter)).size} member(s) have not voted; a decision now could be overturned`,
    );
  }
  const predicate = decisionPredicate(t, decided);
  return createRecord({ kind: 'decision', subject: [recordSubject(predicate.proposal)], predicate, signers: [options.signer] });
}

/** The result of {@link verifyDecision}. */
export interface DecisionVerification {
  /** True when every check held: the stated tally is the recomputed one. */
  ok: boolean;
  /** True when ok and the recomputed outcome is approved. */
  approved: boolean;
  decision: string;
  record?: ReadRecord<'decision'>;
  proposal?: ReadRecord<'proposal'>;
  electorate?: VerifiedElectorate;
  /** Recomputed from the ballots. */
  tally?: DecisionTally;
  outcome?: 'approved' | 'rejected';
  reason?: RejectionReason;
  /** When it was decided (ms since the epoch). */
  decided?: number;
  problems: GovernanceProblem[];
}

function sameTally(a: DecisionTally, b: DecisionTally): boolean {
  return (
    a.method === b.method &&
    a.scoresTotal === b.scoresTotal &&
    a.totalWeight === b.totalWeight &&
    a.voters === b.voters &&
    a.scores.length === b.scores.length &&
    a.scores.every((s, i) => Object.is(s, b.scores[i]))
  );
}

/**
 * Verify a decision without trusting whoever signed it: load its proposal
 * and the electorate (history checked back to a trusted genesis), check the
 * proposal, check every ballot it counts (bound to the proposal, by a member,
 * signed by the voter, in the window, one per voter, the voter's latest),
 * check that no valid ballot in the store was left out, recompute the tally
 * and compare it with the stated one, and check it was not decided early.
 * Never throws for a failed check: the problems are listed.
 *
 * @param store the store
 * @param id the decision id
 * @param options trusted genesis, an index
 * @returns the verification
 * @throws InputError when the store cannot be read
 * @example
 * ```ts
 * const v = await verifyDecision(store, decisionId, { genesis: [genesisId] });
 * if (!v.approved) console.error(v.problems);
 * ```
 */
export async function verifyDecision(store: RecordStore, id: RecordIdInput, options: GovernanceOptions = {}): Promise<DecisionVerification> {
  const decisionId = String(id);
  const problems: GovernanceProblem[] = [];
  const fail = (): DecisionVerification => ({ ok: false, approved: false, decision: decisionId, problems });
  let record: ReadRecord<'decision'>;
  let proposal: ReadRecord<'proposal'>;
  let electorate: VerifiedElectorate;
  try {
    record = await readRecord(store, id, ['decision']);
  } catch (err) {
    problems.push(asProblem(err, decisionId));
    return fail();
  }
  const d = record.predicate;
  try {
    proposal = await readRecord(store, d.proposal, ['proposal']);
  } catch (err) {
    problems.push(asProblem(err, d.proposal));
    return { ...fail(), record };
  }
  if (proposal.predicate.electorate !== d.electorate) {
    problems.push({ code: 'ERR_DECISION_MISMATCH', record: decisionId, message: `the decision names electorate ${d.electorate}, its proposal ${proposal.predicate.electorate}` });
    return { ...fail(), record, proposal };
  }
  try {
    electorate = await loadElectorate(store, d.electorate, options.genesis ? { genesis: options.genesis } : {});
  } catch (err) {
    problems.push(asProblem(err, d.electorate));
    return { ...fail(), record, proposal };
  }
  problems.push(...proposalProblems(proposal, electorate));
  const verdicts = options.ballotVerdicts ?? new Map<string, GovernanceProblem | undefined>();

  const index = options.index ?? (await GovernanceIndex.build(store));
  // Every ballot's signature is checked at once, on the thread pool; the checks below read the verdicts.
  const listed = d.ballots.map((id) => index.ballots.get(id)).filter((b): b is ReadRecord<'ballot'> => b !== undefined);
  await prefetchVerdicts([...listed, ...index.ballotsFor(proposal.idString)], proposal, electorate, verdicts);
  const counted: ReadRecord<'ballot'>[] = [];
  const voters = new Map<string, string>();
  for (const ballotId of d.ballots) {
    let ballot: ReadRecord<'ballot'>;
    try {
      // The index read every ballot of the store already; a ballot it does not hold is read (and reported) here.
      ballot = index.ballots.get(ballotId) ?? (await readRecord(store, ballotId, ['ballot']));
    } catch (err) {
      problems.push(asProblem(err, ballotId));
      continue;
    }
    const problem = ballotVerdict(ballot, proposal, electorate, verdicts);
    if (problem) {
      problems.push(problem);
      continue;
    }
    const other = voters.get(ballot.predicate.voter);
    if (other !== undefined) {
      problems.push({ code: 'ERR_BALLOT_DUPLICATE', record: ballotId, message: `voter ${ballot.predicate.voter} already counted with ballot ${other}` });
      continue;
    }
    voters.set(ballot.predicate.voter, ballotId);
    counted.push(ballot);
  }

  // What the store knows beyond the decision: later ballots of counted voters, valid ballots left out.
  const listedIds = new Set(d.ballots);
  const valid = index.ballotsFor(proposal.idString).filter((b) => ballotVerdict(b, proposal, electorate, verdicts) === undefined);
  const { latest } = latestPerVoter(valid);
  const decided = timeOf(d.decided);
  for (const b of latest) {
    if (listedIds.has(b.idString)) continue;
    if (timeOf(b.predicate.cast) > decided) continue; // cast after the decision: it could not have been counted
    const code: VerificationErrorCode = voters.has(b.predicate.voter) ? 'ERR_BALLOT_SUPERSEDED' : 'ERR_BALLOT_OMITTED';
    problems.push({
      code,
      record: b.idString,
      message:
        code === 'ERR_BALLOT_SUPERSEDED'
          ? `voter ${b.predicate.voter}'s latest ballot ${b.idString} replaces the counted ${voters.get(b.predicate.voter)}`
          : `the valid ballot ${b.idString} of voter ${b.predicate.voter} is not counted`,
    });
  }

  let outcome: ComputedOutcome;
  try {
    outcome = computeOutcome(proposal, electorate, counted);
  } catch (err) {
    if (err instanceof RangeError) throw new VerificationError('ERR_BALLOT_DUPLICATE', err.message);
    throw err;
  }
  for (const b of outcome.dropped) {
    problems.push({ code: 'ERR_BALLOT_INVALID_CHOICE', record: b.idString, message: `choice ${JSON.stringify(b.predicate.choice)} is not valid for ${proposal.predicate.method}; it cannot be counted` });
  }
  const allVoted = [...electorate.members.keys()].every((m) => outcome.counted.some((b) => b.predicate.voter === m));
  if (decided <= windowOf(proposal.predicate).closes && !allVoted) {
    problems.push({ code: 'ERR_DECISION_EARLY', record: decisionId, message: `decided at ${d.decided}, before the window closed (${proposal.predicate.closes}) and before every member voted` });
  }
  if (!sameTally(d.tally, outcome.tally)) {
    problems.push({
      code: 'ERR_TALLY_MISMATCH',
      record: decisionId,
      message: `the stated tally ${JSON.stringify(d.tally)} is not the tally of its ballots ${JSON.stringify(outcome.tally)}`,
    });
  }
  if (d.quorumMet !== outcome.quorumMet || d.outcome !== outcome.outcome || d.reason !== outcome.reason) {
    problems.push({
      code: 'ERR_OUTCOME_MISMATCH',
      record: decisionId,
      message: `the decision states ${d.outcome}${d.reason ? ` (${d.reason})` : ''}, quorum ${d.quorumMet ? '' : 'not '}met; recomputed: ${outcome.outcome}${outcome.reason ? ` (${outcome.reason})` : ''}, quorum ${outcome.quorumMet ? '' : 'not '}met`,
    });
  }
  const ok = problems.length === 0;
  return {
    ok,
    approved: ok && outcome.outcome === 'approved',
    decision: decisionId,
    record,
    proposal,
    electorate,
    tally: outcome.tally,
    outcome: outcome.outcome,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    decided,
    problems,
  };
}

/**
 * Why a verified decision does not approve its proposal, as a stable code:
 * its first problem when it does not hold; `ERR_QUORUM_NOT_MET`,
 * `ERR_APPROVAL_THRESHOLD_NOT_MET` or `ERR_NOT_PREFERRED` when it holds but
 * rejects; undefined when it approves.
 *
 * @param v the verification
 * @returns the problem, or undefined
 * @example
 * ```ts
 * const why = approvalProblem(await verifyDecision(store, id));
 * ```
 */
export function approvalProblem(v: DecisionVerification): GovernanceProblem | undefined {
  if (!v.ok) return v.problems[0];
  if (v.approved) return undefined;
  const code: VerificationErrorCode =
    v.reason === 'quorum-not-met' ? 'ERR_QUORUM_NOT_MET' : v.reason === 'threshold-not-met' ? 'ERR_APPROVAL_THRESHOLD_NOT_MET' : 'ERR_NOT_PREFERRED';
  const t = v.tally!;
  const p = v.proposal!.predicate;
  const detail =
    code === 'ERR_QUORUM_NOT_MET'
      ? `participation ${t.scoresTotal} of total weight ${t.totalWeight} is below the quorum ${p.quorum}`
      : code === 'ERR_APPROVAL_THRESHOLD_NOT_MET'
        ? `"${p.choices[p.approve - 1]}" scored ${t.scores[p.approve - 1]} of total weight ${t.totalWeight}, below the threshold ${p.threshold}`
        : `"${p.choices[p.approve - 1]}" did not score above every other choice (${t.scores.join(', ')})`;
  return { code, record: v.decision, message: `the proposal "${p.title}" was rejected: ${detail}` };
}
