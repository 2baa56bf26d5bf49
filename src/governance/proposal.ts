import type { Signer } from '../envelope/keys.js';
import { pae } from '../envelope/pae.js';
import { InputError } from '../lib/errors.js';
import { createRecord } from '../records/create-record.js';
import { recordSubject } from '../records/governance-kinds.js';
import type { ParameterSetting, ProposalAction, ProposalPredicate } from '../records/schema/governance.js';
import type { CreatedRecord } from '../records/types.js';
import { memberOfKey, type Member, type VerifiedElectorate } from './electorate.js';
import type { GovernanceProblem, ReadRecord } from './read.js';
import { formatTime, timeOf, toDate } from './read.js';
import { signingPrincipals } from './rotation.js';

/** The choices a proposal offers when none are given: approve is 1, abstain is 3. */
export const DEFAULT_CHOICES = ['for', 'against', 'abstain'] as const;

/** Input of {@link createProposal}. */
export interface CreateProposalInput {
  electorate: VerifiedElectorate;
  /** Member id of the proposer; `signer` must hold one of their keys. */
  proposer: string;
  signer: Signer;
  action: ProposalAction;
  title: string;
  rationale: string;
  targets?: readonly string[];
  parameter?: ParameterSetting;
  measure?: string;
  /** Default: the electorate's method. */
  method?: ProposalPredicate['method'];
  /** Default: for, against, abstain (approve 1, abstain 3). */
  choices?: readonly string[];
  approve?: number;
  abstain?: number;
  /** Default: the electorate's quorum; never lower. */
  quorum?: number;
  /** Default: the electorate's threshold; never lower. */
  threshold?: number;
  /** Default: now. */
  opens?: Date | string;
  closes: Date | string;
}

function requireMember(electorate: VerifiedElectorate, id: string, what: string): Member {
  const member = electorate.members.get(id);
  if (!member) throw new InputError('ERR_NOT_MEMBER', `${what} ${JSON.stringify(id)} is not a member of electorate ${electorate.name} v${electorate.version}`);
  return member;
}

/**
 * Check that `signer` holds a key of member `id`.
 *
 * @param electorate the electorate
 * @param id the member id
 * @param signer the signer
 * @param what who the member is, for messages (`proposer`, `voter`)
 * @returns the member
 * @throws InputError `ERR_NOT_MEMBER`
 * @example
 * ```ts
 * requireMemberSigner(electorate, 'alice', signer, 'voter');
 * ```
 */
export function requireMemberSigner(electorate: VerifiedElectorate, id: string, signer: Signer, what: string): Member {
  const member = requireMember(electorate, id, what);
  if (memberOfKey(electorate, signer.publicKey)?.id !== id) {
    throw new InputError('ERR_NOT_MEMBER', `the signing key ${signer.publicKey.keyId} is not one of ${what} ${id}'s keys in electorate ${electorate.name} v${electorate.version}`);
  }
  return member;
}

/**
 * Create and sign a proposal. The proposer must be a member allowed to
 * propose, and the proposal may not be looser than the electorate's rules.
 *
 * @param input the proposal
 * @returns the signed record
 * @throws InputError `ERR_NOT_MEMBER`, `ERR_PROPOSER_NOT_ALLOWED`, `ERR_USAGE` (rules looser than the electorate's)
 * @throws VerificationError `ERR_SCHEMA` for a bad field (every one listed)
 * @example
 * ```ts
 * const proposal = await createProposal({ electorate, proposer: 'alice', signer, action: 'adopt-model',
 *   targets: [model.id.toString()], title: 'Adopt v2', rationale: 'Better eval', closes: '2026-12-01T00:00:00Z' });
 * ```
 */
export async function createProposal(input: CreateProposalInput): Promise<CreatedRecord<'proposal'>> {
  const { electorate } = input;
  const member = requireMemberSigner(electorate, input.proposer, input.signer, 'proposer');
  const allowed = electorate.predicate.rules.proposers;
  if (allowed !== undefined && !member.roles.some((r) => allowed.includes(r))) {
    throw new InputError('ERR_PROPOSER_NOT_ALLOWED', `member ${member.id} (roles: ${member.roles.join(', ') || 'none'}) may not propose; proposers need one of the roles ${allowed.join(', ')}`);
  }
  const rules = electorate.predicate.rules;
  const quorum = input.quorum ?? rules.quorum;
  const threshold = input.threshold ?? rules.threshold;
  if (quorum < rules.quorum || threshold < rules.threshold) {
    throw new InputError('ERR_USAGE', `a proposal may not lower the electorate's quorum (${rules.quorum}) or threshold (${rules.threshold}); got quorum ${quorum}, threshold ${threshold}`);
  }
  const choices = [...(input.choices ?? DEFAULT_CHOICES)];
  const defaults = input.choices === undefined;
  const predicate: ProposalPredicate = {
    electorate: electorate.id,
    proposer: member.id,
    action: input.action,
    title: input.title,
    rationale: input.rationale,
    ...(input.targets !== undefined ? { targets: [...input.targets] } : {}),
    ...(input.parameter !== undefined ? { parameter: input.parameter } : {}),
    ...(input.measure !== undefined ? { measure: input.measure } : {}),
    method: input.method ?? rules.method,
    choices,
    approve: input.approve ?? 1,
    ...(input.abstain !== undefined ? { abstain: input.abstain } : defaults ? { abstain: 3 } : {}),
    quorum,
    threshold,
    opens: formatTime(toDate(input.opens ?? new Date(), 'opens')),
    closes: formatTime(toDate(input.closes, 'closes')),
  };
  const subject = (predicate.targets ?? [predicate.electorate]).map(recordSubject);
  return createRecord({ kind: 'proposal', subject, predicate, signers: [input.signer] });
}

/**
 * Check a proposal against its electorate: it names this electorate, it is
 * signed by its proposer, the proposer may propose, and it is not looser than
 * the electorate's rules.
 *
 * @param proposal the proposal as read from the store
 * @param electorate its verified electorate
 * @returns the problems (empty when the proposal holds)
 * @example
 * ```ts
 * const problems = proposalProblems(proposal, electorate);
 * ```
 */
export function proposalProblems(proposal: ReadRecord<'proposal'>, electorate: VerifiedElectorate): GovernanceProblem[] {
  const p = proposal.predicate;
  const record = proposal.idString;
  const problems: GovernanceProblem[] = [];
  if (p.electorate !== electorate.id) {
    problems.push({ code: 'ERR_DECISION_MISMATCH', record, message: `the proposal is for electorate ${p.electorate}, not ${electorate.id}` });
    return problems;
  }
  const member = electorate.members.get(p.proposer);
  if (!member) {
    problems.push({ code: 'ERR_PROPOSAL_FORGED', record, message: `the proposer ${p.proposer} is not a member of the electorate` });
    return problems;
  }
  const signed = signingPrincipals(
    { principals: [{ id: member.id, keys: member.keys }], threshold: 1 },
    pae(proposal.stored.payloadType, proposal.stored.payload),
    proposal.stored.signatures,
  );
  if (signed.length === 0) {
    problems.push({ code: 'ERR_PROPOSAL_FORGED', record, message: `no valid signature by the proposer ${p.proposer}'s keys` });
  }
  const allowed = electorate.predicate.rules.proposers;
  if (allowed !== undefined && !member.roles.some((r) => allowed.includes(r))) {
    problems.push({ code: 'ERR_PROPOSER_NOT_ALLOWED', record, message: `member ${member.id} may not propose (needs one of the roles ${allowed.join(', ')})` });
  }
  const rules = electorate.predicate.rules;
  if (p.quorum < rules.quorum || p.threshold < rules.threshold) {
    problems.push({
      code: 'ERR_PROPOSAL_RULES',
      record,
      message: `quorum ${p.quorum} / threshold ${p.threshold} are below the electorate's ${rules.quorum} / ${rules.threshold}`,
    });
  }
  return problems;
}

/**
 * The voting window of a proposal in milliseconds since the epoch.
 *
 * @param proposal the proposal predicate
 * @returns `{ opens, closes }`
 * @example
 * ```ts
 * const { closes } = windowOf(proposal.predicate);
 * ```
 */
export function windowOf(proposal: ProposalPredicate): { opens: number; closes: number } {
  return { opens: timeOf(proposal.opens), closes: timeOf(proposal.closes) };
}
