import { dateTime, printableText, recordIdList, recordIdString, token } from './fragments.js';
import type { Schema } from './types.js';

/**
 * Schemas and types of the four governance kinds: `electorate`, `proposal`,
 * `ballot` and `decision`. What a schema cannot say (a ballot's choice shape
 * depends on the proposal's method; subjects must name the linked records)
 * is checked by the kind rules in `kinds.ts` and by `src/governance/`.
 */

/** Voting methods, as Snapshot names them (see `src/governance/tally.ts`). */
export const GOVERNANCE_METHODS = ['single-choice', 'approval', 'weighted', 'quadratic', 'ranked-choice', 'copeland'] as const;

/** What a proposal asks the electorate to do. */
export const PROPOSAL_ACTIONS = [
  'adopt-model',
  'approve-dataset',
  'set-parameter',
  'revoke',
  'resolve-dispute',
  'amend-electorate',
] as const;
/** One of {@link PROPOSAL_ACTIONS}. */
export type ProposalAction = (typeof PROPOSAL_ACTIONS)[number];

/** Why a decision's outcome is `rejected`. */
export const REJECTION_REASONS = ['quorum-not-met', 'threshold-not-met', 'not-preferred'] as const;

/** Most members one electorate lists. */
export const MAX_MEMBERS = 1000;
/** Most ballots one decision counts. */
export const MAX_DECISION_BALLOTS = 10_000;
/** Most choices one proposal offers. */
export const MAX_CHOICES = 32;

/** A public key in a member entry: a JSON Web Key (RFC 7517) holding only public parameters. */
export interface MemberKey {
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256' | 'P-384' | 'P-521';
  x: string;
  y?: string;
}

/** One member of an electorate. */
export interface ElectorateMember {
  /** Stable member id (a short token, e.g. `alice`). */
  id: string;
  /** Display name. */
  name?: string;
  /** The public keys that speak for the member; any one of them signs for the member, and the member counts once. */
  keys: MemberKey[];
  /** Voting weight (Snapshot's voting power), a positive number. */
  weight: number;
  /** Roles, e.g. `developer`, `user`, `contributor`, `curator`. */
  roles: string[];
}

/** Default voting rules of an electorate: proposals may be stricter, never looser. */
export interface VotingRules {
  method: (typeof GOVERNANCE_METHODS)[number];
  /** Fraction of total electorate weight that must take part (abstaining counts). */
  quorum: number;
  /** Fraction of total electorate weight the approving choice needs. */
  threshold: number;
  /** Roles whose members may propose; absent: every member. */
  proposers?: string[];
}

/** The predicate of an `electorate` record (`https://provenant.dev/electorate/v1`). */
export interface ElectoratePredicate {
  name: string;
  /** 1 for the genesis, previous version + 1 after. */
  version: number;
  /** Id of version - 1; absent only on the genesis. */
  previous?: string;
  members: ElectorateMember[];
  /**
   * Distinct members who must sign this version; the next version must be
   * signed by this many members of this version too (TUF root rotation).
   */
  threshold: number;
  rules: VotingRules;
  /** When this version was written. */
  created?: string;
}

/** A parameter set by a `set-parameter` proposal: a limit outputs must respect. */
export interface ParameterSetting {
  /** The generation parameter (e.g. `temperature`, `system_prompt_sha256`). */
  name: string;
  /** Largest value allowed. */
  max?: number;
  /** Smallest value allowed. */
  min?: number;
  /** The only value allowed. */
  equals?: string;
}

/** The predicate of a `proposal` record (`https://provenant.dev/proposal/v1`). */
export interface ProposalPredicate {
  /** Id of the electorate version that votes. */
  electorate: string;
  /** Member id of the proposer (who signs the proposal). */
  proposer: string;
  action: ProposalAction;
  title: string;
  rationale: string;
  /** The records acted on (a model, a dataset, a revoked record, a disputed output, the next electorate). */
  targets?: string[];
  /** For `set-parameter`. */
  parameter?: ParameterSetting;
  /** For `resolve-dispute`: the corrective measure. */
  measure?: string;
  method: (typeof GOVERNANCE_METHODS)[number];
  choices: string[];
  /** 1-based index of the choice that approves the action. */
  approve: number;
  /** 1-based index of the abstain choice: counts toward quorum, never toward approval. */
  abstain?: number;
  /** Fraction of total electorate weight that must take part. */
  quorum: number;
  /** Fraction of total electorate weight the approving choice needs. */
  threshold: number;
  /** The voting window: ballots cast in [opens, closes] count. */
  opens: string;
  closes: string;
}

/** The predicate of a `ballot` record (`https://provenant.dev/ballot/v1`). */
export interface BallotPredicate {
  proposal: string;
  /** The proposal's electorate (binds the ballot to it). */
  electorate: string;
  /** Member id of the voter (who signs the ballot). */
  voter: string;
  /** Snapshot's choice shape for the method: an index, a list of indices, or an index-to-amount object. */
  choice: unknown;
  cast: string;
  reason?: string;
}

/** A tally as a decision states it (and as verification recomputes it). */
export interface DecisionTally {
  method: (typeof GOVERNANCE_METHODS)[number];
  /** Score of each choice, in choice order (Snapshot's `scores`). */
  scores: number[];
  /** Total voting weight of the counted ballots (Snapshot's `scoresTotal`): the participation. */
  scoresTotal: number;
  /** Sum of every member's weight. */
  totalWeight: number;
  /** Number of ballots counted. */
  voters: number;
}

/** The predicate of a `decision` record (`https://provenant.dev/decision/v1`). */
export interface DecisionPredicate {
  proposal: string;
  electorate: string;
  /** Ids of the ballots counted, sorted. */
  ballots: string[];
  tally: DecisionTally;
  quorumMet: boolean;
  outcome: 'approved' | 'rejected';
  /** Present when rejected. */
  reason?: (typeof REJECTION_REASONS)[number];
  decided: string;
}

const fraction = (description: string): Schema => ({ type: 'number', minimum: 0, maximum: 1, description });
const choiceIndex = (description: string): Schema => ({ type: 'integer', minimum: 1, maximum: MAX_CHOICES, description });
const base64url = (description: string): Schema => ({
  type: 'string',
  description,
  minLength: 1,
  maxLength: 256,
  pattern: '^[A-Za-z0-9_-]+$',
  patternHint: 'unpadded base64url',
});

const memberKeySchema = {
  type: 'object',
  description: 'a public JSON Web Key (RFC 7517): OKP Ed25519, or EC P-256 / P-384 / P-521',
  required: ['kty', 'crv', 'x'],
  additionalProperties: false,
  properties: {
    kty: { type: 'string', enum: ['OKP', 'EC'] },
    crv: { type: 'string', enum: ['Ed25519', 'P-256', 'P-384', 'P-521'] },
    x: base64url('the x coordinate (or Ed25519 public key)'),
    y: base64url('the y coordinate (EC keys)'),
  },
} as const satisfies Schema;

const methodSchema = { type: 'string', enum: GOVERNANCE_METHODS, description: 'voting method' } as const satisfies Schema;

/** JSON Schema of the `electorate` predicate. */
export const electoratePredicateSchema = {
  title: 'provenant electorate predicate v1',
  description:
    'Who may vote, with what weight and keys, and by which default rules. Version N+1 is valid only when signed by ' +
    'a threshold of version N\'s members and a threshold of its own (TUF root rotation). The in-toto subject is ' +
    'named "electorate/<name>/v<version>" with sha256 = SHA-256 of the RFC 8785 form of members.',
  type: 'object',
  required: ['name', 'version', 'members', 'threshold', 'rules'],
  additionalProperties: false,
  properties: {
    name: token(128, 'the electorate name'),
    version: { type: 'integer', minimum: 1, maximum: 1_000_000, description: '1 for the genesis' },
    previous: { ...recordIdString, description: 'id of version - 1 (absent on the genesis)' },
    members: {
      type: 'array',
      description: 'the members',
      minItems: 1,
      maxItems: MAX_MEMBERS,
      items: {
        type: 'object',
        required: ['id', 'keys', 'weight', 'roles'],
        additionalProperties: false,
        properties: {
          id: token(64, 'stable member id'),
          name: printableText(256, 'display name'),
          keys: { type: 'array', minItems: 1, maxItems: 8, items: memberKeySchema, description: 'public keys of the member' },
          weight: { type: 'number', minimum: 0, maximum: 1e12, description: 'voting weight (> 0)' },
          roles: { type: 'array', maxItems: 16, uniqueItems: true, items: token(64, 'a role'), description: 'roles' },
        },
      },
    },
    threshold: { type: 'integer', minimum: 1, maximum: MAX_MEMBERS, description: 'distinct members who must sign' },
    rules: {
      type: 'object',
      description: 'default voting rules; a proposal may be stricter, never looser',
      required: ['method', 'quorum', 'threshold'],
      additionalProperties: false,
      properties: {
        method: methodSchema,
        quorum: fraction('fraction of total weight that must take part'),
        threshold: fraction('fraction of total weight the approving choice needs'),
        proposers: { type: 'array', maxItems: 16, uniqueItems: true, items: token(64, 'a role'), description: 'roles that may propose' },
      },
    },
    created: dateTime('when this version was written'),
  },
} as const satisfies Schema;

/** JSON Schema of the `proposal` predicate. */
export const proposalPredicateSchema = {
  title: 'provenant proposal predicate v1',
  description:
    'A change put to the vote of an electorate. The in-toto subjects are the target records (name = record id, ' +
    'sha256 = the digest inside the id), or the electorate when there is no target.',
  type: 'object',
  required: ['electorate', 'proposer', 'action', 'title', 'rationale', 'method', 'choices', 'approve', 'quorum', 'threshold', 'opens', 'closes'],
  additionalProperties: false,
  properties: {
    electorate: { ...recordIdString, description: 'id of the electorate version that votes' },
    proposer: token(64, 'member id of the proposer'),
    action: { type: 'string', enum: PROPOSAL_ACTIONS, description: 'what the proposal does when approved' },
    title: printableText(256, 'a one-line title'),
    rationale: { type: 'string', minLength: 1, maxLength: 16_384, description: 'why (free text)' },
    targets: { ...recordIdList(64, 'the records acted on'), minItems: 1 },
    parameter: {
      type: 'object',
      description: 'for set-parameter: a limit on a generation parameter',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: token(128, 'the generation parameter'),
        max: { type: 'number', description: 'largest value allowed' },
        min: { type: 'number', description: 'smallest value allowed' },
        equals: printableText(1024, 'the only value allowed'),
      },
    },
    measure: printableText(4096, 'for resolve-dispute: the corrective measure'),
    method: methodSchema,
    choices: {
      type: 'array',
      description: 'the choices, e.g. ["for", "against", "abstain"]',
      minItems: 2,
      maxItems: MAX_CHOICES,
      uniqueItems: true,
      items: printableText(256, 'a choice'),
    },
    approve: choiceIndex('1-based index of the approving choice'),
    abstain: choiceIndex('1-based index of the abstain choice'),
    quorum: fraction('fraction of total weight that must take part'),
    threshold: fraction('fraction of total weight the approving choice needs'),
    opens: dateTime('start of the voting window'),
    closes: dateTime('end of the voting window'),
  },
} as const satisfies Schema;

/** JSON Schema of the `ballot` predicate. */
export const ballotPredicateSchema = {
  title: 'provenant ballot predicate v1',
  description:
    'One member\'s vote on one proposal, signed by the member. The in-toto subject is the proposal ' +
    '(name = its id, sha256 = the digest inside the id). choice has the shape of the method (Snapshot\'s).',
  type: 'object',
  required: ['proposal', 'electorate', 'voter', 'choice', 'cast'],
  additionalProperties: false,
  properties: {
    proposal: { ...recordIdString, description: 'id of the proposal' },
    electorate: { ...recordIdString, description: "id of the proposal's electorate" },
    voter: token(64, 'member id of the voter'),
    choice: { description: 'an index, a list of indices, or an object of index to amount, depending on the method' },
    cast: dateTime('when the ballot was cast'),
    reason: printableText(4096, 'why (optional)'),
  },
} as const satisfies Schema;

/** JSON Schema of the `decision` predicate. */
export const decisionPredicateSchema = {
  title: 'provenant decision predicate v1',
  description:
    'The outcome of a proposal: the ballots counted and the tally. Anyone recomputes it from the ballots, so its ' +
    'validity never depends on who signed it. The in-toto subject is the proposal.',
  type: 'object',
  required: ['proposal', 'electorate', 'ballots', 'tally', 'quorumMet', 'outcome', 'decided'],
  additionalProperties: false,
  properties: {
    proposal: { ...recordIdString, description: 'id of the proposal' },
    electorate: { ...recordIdString, description: "id of the proposal's electorate" },
    ballots: recordIdList(MAX_DECISION_BALLOTS, 'ids of the ballots counted, sorted'),
    tally: {
      type: 'object',
      description: 'the tally, as recomputed by any verifier',
      required: ['method', 'scores', 'scoresTotal', 'totalWeight', 'voters'],
      additionalProperties: false,
      properties: {
        method: methodSchema,
        scores: { type: 'array', maxItems: MAX_CHOICES, items: { type: 'number' }, description: 'score of each choice' },
        scoresTotal: { type: 'number', minimum: 0, description: 'total weight of the counted ballots' },
        totalWeight: { type: 'number', minimum: 0, description: "sum of every member's weight" },
        voters: { type: 'integer', minimum: 0, maximum: MAX_DECISION_BALLOTS, description: 'ballots counted' },
      },
    },
    quorumMet: { type: 'boolean', description: 'whether participation reached the quorum' },
    outcome: { type: 'string', enum: ['approved', 'rejected'], description: 'the outcome' },
    reason: { type: 'string', enum: REJECTION_REASONS, description: 'why it was rejected' },
    decided: dateTime('when the tally was made'),
  },
} as const satisfies Schema;
