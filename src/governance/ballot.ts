import { verifySignatureAsync, type Signer } from '../envelope/keys.js';
import { pae } from '../envelope/pae.js';
import { InputError } from '../lib/errors.js';
import { createRecord } from '../records/create-record.js';
import { recordSubject } from '../records/governance-kinds.js';
import type { BallotPredicate } from '../records/schema/governance.js';
import type { CreatedRecord } from '../records/types.js';
import type { Member, VerifiedElectorate } from './electorate.js';
import { requireMemberSigner, windowOf } from './proposal.js';
import { formatTime, timeOf, toDate, type GovernanceProblem, type ReadRecord } from './read.js';
import { signingPrincipals } from './rotation.js';
import { isValidChoice } from './tally.js';

/** Input of {@link castBallot}. */
export interface CastBallotInput {
  proposal: ReadRecord<'proposal'>;
  /** The proposal's electorate, verified. */
  electorate: VerifiedElectorate;
  /** Member id of the voter; `signer` must hold one of their keys. */
  voter: string;
  signer: Signer;
  /** The choice in the method's shape: `1` (single-choice), `[1, 3]` (approval, ranked-choice), `{ "1": 2, "2": 1 }` (weighted, quadratic). */
  choice: unknown;
  reason?: string;
  /** Default: now. */
  cast?: Date | string;
}

/**
 * Cast a ballot: a record bound to one proposal and its electorate, signed by
 * the voter. Refuses a non-member, a key that is not the voter's, a choice
 * the method does not accept, and a time outside the voting window.
 *
 * @param input proposal, electorate, voter, signer, choice
 * @returns the signed ballot
 * @throws InputError `ERR_NOT_MEMBER`, `ERR_BALLOT_INVALID_CHOICE`, `ERR_WINDOW_CLOSED`, `ERR_USAGE`
 * @example
 * ```ts
 * const ballot = await castBallot({ proposal, electorate, voter: 'bob', signer: bob, choice: 1 });
 * ```
 */
export async function castBallot(input: CastBallotInput): Promise<CreatedRecord<'ballot'>> {
  const p = input.proposal.predicate;
  if (p.electorate !== input.electorate.id) {
    throw new InputError('ERR_USAGE', `the proposal is for electorate ${p.electorate}, not ${input.electorate.id}`);
  }
  requireMemberSigner(input.electorate, input.voter, input.signer, 'voter');
  if (!isValidChoice(p.method, input.choice, p.choices.length)) {
    throw new InputError('ERR_USAGE', `${JSON.stringify(input.choice)} is not a valid ${p.method} choice among ${p.choices.length} choices (1-based)`);
  }
  const cast = toDate(input.cast ?? new Date(), 'cast');
  const window = windowOf(p);
  if (cast.getTime() < window.opens || cast.getTime() > window.closes) {
    throw new InputError('ERR_WINDOW_CLOSED', `the voting window is ${p.opens} to ${p.closes}; ${formatTime(cast)} is outside it`);
  }
  const predicate: BallotPredicate = {
    proposal: input.proposal.idString,
    electorate: p.electorate,
    voter: input.voter,
    choice: input.choice,
    cast: formatTime(cast),
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
  };
  return createRecord({ kind: 'ballot', subject: [recordSubject(predicate.proposal)], predicate, signers: [input.signer] });
}

/**
 * Why a ballot does not count for `proposal`, or undefined when it counts
 * (before the latest-ballot rule, which needs every ballot of the voter):
 * it must be bound to this proposal and its electorate, its voter must be a
 * member, it must carry a valid signature by one of the voter's keys, and it
 * must have been cast inside the window. A choice the method does not accept
 * is not a problem here: such a ballot is dropped from the tally, not counted
 * (Snapshot's rule).
 *
 * @param ballot the ballot as read from the store
 * @param proposal the proposal
 * @param electorate the proposal's electorate, verified
 * @returns the problem, or undefined
 * @example
 * ```ts
 * const problem = ballotProblem(ballot, proposal, electorate);
 * ```
 */
export function ballotProblem(
  ballot: ReadRecord<'ballot'>,
  proposal: ReadRecord<'proposal'>,
  electorate: VerifiedElectorate,
): GovernanceProblem | undefined {
  const voter = boundVoter(ballot, proposal, electorate);
  if (!('keys' in voter)) return voter;
  const signed = signingPrincipals(
    { principals: [{ id: voter.id, keys: voter.keys }], threshold: 1 },
    pae(ballot.stored.payloadType, ballot.stored.payload),
    ballot.stored.signatures,
  );
  return signed.length === 0 ? forged(ballot) : windowProblem(ballot, proposal);
}

/**
 * {@link ballotProblem} with the signatures checked on the thread pool, so
 * that many ballots are checked at once (a tally of thousands of ballots
 * uses every core).
 *
 * @param ballot the ballot as read from the store
 * @param proposal the proposal
 * @param electorate the proposal's electorate, verified
 * @returns the problem, or undefined
 * @example
 * ```ts
 * const problems = await Promise.all(ballots.map((b) => ballotProblemAsync(b, proposal, electorate)));
 * ```
 */
export async function ballotProblemAsync(
  ballot: ReadRecord<'ballot'>,
  proposal: ReadRecord<'proposal'>,
  electorate: VerifiedElectorate,
): Promise<GovernanceProblem | undefined> {
  const voter = boundVoter(ballot, proposal, electorate);
  if (!('keys' in voter)) return voter;
  const message = pae(ballot.stored.payloadType, ballot.stored.payload);
  const checks = ballot.stored.signatures.flatMap(({ sig }) => voter.keys.map((key) => verifySignatureAsync(key, message, sig)));
  const signed = (await Promise.all(checks)).some(Boolean);
  return signed ? windowProblem(ballot, proposal) : forged(ballot);
}

/** The ballot's voter when it is bound to this proposal and the voter is a member; else the problem. */
function boundVoter(ballot: ReadRecord<'ballot'>, proposal: ReadRecord<'proposal'>, electorate: VerifiedElectorate): Member | GovernanceProblem {
  const b = ballot.predicate;
  const record = ballot.idString;
  if (b.proposal !== proposal.idString || b.electorate !== proposal.predicate.electorate) {
    return {
      code: 'ERR_BALLOT_WRONG_PROPOSAL',
      record,
      message: `the ballot is bound to proposal ${b.proposal} of electorate ${b.electorate}, not proposal ${proposal.idString} of electorate ${proposal.predicate.electorate}`,
    };
  }
  const member = electorate.members.get(b.voter);
  if (!member) return { code: 'ERR_BALLOT_NOT_MEMBER', record, message: `the voter ${b.voter} is not a member of electorate ${electorate.name} v${electorate.version}` };
  return member;
}

function forged(ballot: ReadRecord<'ballot'>): GovernanceProblem {
  return { code: 'ERR_BALLOT_FORGED', record: ballot.idString, message: `no valid signature by any key of the voter ${ballot.predicate.voter}` };
}

function windowProblem(ballot: ReadRecord<'ballot'>, proposal: ReadRecord<'proposal'>): GovernanceProblem | undefined {
  const { opens, closes } = windowOf(proposal.predicate);
  const cast = timeOf(ballot.predicate.cast);
  if (cast < opens || cast > closes) {
    return { code: 'ERR_BALLOT_OUTSIDE_WINDOW', record: ballot.idString, message: `cast at ${ballot.predicate.cast}, outside the window ${proposal.predicate.opens} to ${proposal.predicate.closes}` };
  }
  return undefined;
}

/**
 * Order two valid ballots of one voter: the later cast wins; at the same
 * instant the larger id (an arbitrary but fixed rule everyone applies alike).
 *
 * @returns positive when `a` supersedes `b`
 * @example
 * ```ts
 * ballots.sort(compareBallots) // the latest last
 * ```
 */
export function compareBallots(a: ReadRecord<'ballot'>, b: ReadRecord<'ballot'>): number {
  const d = timeOf(a.predicate.cast) - timeOf(b.predicate.cast);
  if (d !== 0) return d;
  return a.idString < b.idString ? -1 : a.idString > b.idString ? 1 : 0;
}
