import { createHash } from 'node:crypto';
import { toHex } from '../lib/bytes.js';
import { canonicalJson, canonicalJsonBytes } from '../lib/json.js';
import { parseRecordId } from './id.js';
import type { KindRules } from './kinds.js';
import { PREDICATE_SCHEMAS } from './schema/registry.js';
import type { FieldErrors } from './schema/validate.js';
import type { ElectoratePredicate, ProposalAction, ProposalPredicate } from './schema/governance.js';
import type { Subject } from './types.js';

/** Largest ballot choice, as RFC 8785 JSON bytes. */
export const MAX_CHOICE_BYTES = 8192;

/**
 * The subject that names a record: its id, and the SHA-256 inside the id
 * (the digest of the record's payload).
 *
 * @param id a record id (`bagaaiera...`)
 * @returns the subject `{ name: id, digest: { sha256 } }`
 * @throws InputError `ERR_MALFORMED` for a string that is not a record id
 * @example
 * ```ts
 * recordSubject(proposal.id.toString())
 * ```
 */
export function recordSubject(id: string): Subject {
  return { name: id, digest: { sha256: toHex(parseRecordId(id).multihash.digest) } };
}

/**
 * The subject of an electorate record: `electorate/<name>/v<version>` with
 * the SHA-256 of the RFC 8785 form of its members.
 *
 * @param predicate the electorate predicate
 * @returns the subject
 * @throws TypeError for values JSON cannot hold
 * @example
 * ```ts
 * electorateSubject({ name: 'stewards', version: 1, members, threshold: 2, rules })
 * ```
 */
export function electorateSubject(predicate: Pick<ElectoratePredicate, 'name' | 'version' | 'members'>): Subject {
  const digest = createHash('sha256').update(canonicalJsonBytes(predicate.members)).digest('hex');
  return { name: `electorate/${predicate.name}/v${predicate.version}`, digest: { sha256: digest } };
}

function sameSubjects(actual: readonly Subject[], expected: readonly Subject[], errors: FieldErrors, what: string): void {
  if (actual.length !== expected.length) {
    errors.add('subject', `expected ${expected.length} subject(s), ${what}; got ${actual.length}`);
    return;
  }
  expected.forEach((e, i) => {
    const a = actual[i]!;
    if (a.name !== e.name) errors.add(`subject[${i}].name`, `expected ${JSON.stringify(e.name)} (${what})`);
    if (Object.keys(a.digest).length !== 1 || a.digest.sha256 !== e.digest.sha256) {
      errors.add(`subject[${i}].digest`, `expected exactly { sha256: ${e.digest.sha256} } (${what})`);
    }
  });
}

const TARGET_RULES: { readonly [A in ProposalAction]: { targets: 'none' | 'one' | 'some'; parameter: boolean; measure: boolean } } = {
  'adopt-model': { targets: 'one', parameter: false, measure: false },
  'approve-dataset': { targets: 'some', parameter: false, measure: false },
  'set-parameter': { targets: 'none', parameter: true, measure: false },
  revoke: { targets: 'some', parameter: false, measure: false },
  'resolve-dispute': { targets: 'one', parameter: false, measure: true },
  'amend-electorate': { targets: 'one', parameter: false, measure: false },
};

function checkProposal(p: ProposalPredicate, errors: FieldErrors): void {
  const rule = TARGET_RULES[p.action];
  const n = p.targets?.length ?? 0;
  if (rule.targets === 'none' && n > 0) errors.add('predicate.targets', `is not allowed for ${p.action}`);
  if (rule.targets === 'one' && n !== 1) errors.add('predicate.targets', `${p.action} needs exactly one target, got ${n}`);
  if (rule.targets === 'some' && n === 0) errors.add('predicate.targets', `${p.action} needs at least one target`);
  if (rule.parameter !== (p.parameter !== undefined)) {
    errors.add('predicate.parameter', rule.parameter ? `is required for ${p.action}` : `is only allowed for set-parameter`);
  }
  if (p.parameter !== undefined) {
    const { max, min, equals } = p.parameter;
    if (max === undefined && min === undefined && equals === undefined) errors.add('predicate.parameter', 'needs max, min or equals');
    if (equals !== undefined && (max !== undefined || min !== undefined)) errors.add('predicate.parameter', 'equals excludes max and min');
    if (max !== undefined && min !== undefined && min > max) errors.add('predicate.parameter.min', 'is above max');
  }
  if (rule.measure !== (p.measure !== undefined)) {
    errors.add('predicate.measure', rule.measure ? `is required for ${p.action}` : 'is only allowed for resolve-dispute');
  }
  if (p.approve > p.choices.length) errors.add('predicate.approve', `is not one of the ${p.choices.length} choices`);
  if (p.abstain !== undefined) {
    if (p.abstain > p.choices.length) errors.add('predicate.abstain', `is not one of the ${p.choices.length} choices`);
    if (p.abstain === p.approve) errors.add('predicate.abstain', 'is the approving choice');
  }
  if (p.threshold === 0) errors.add('predicate.threshold', 'must be above 0');
  const opens = Date.parse(p.opens);
  const closes = Date.parse(p.closes);
  if (!(closes > opens)) errors.add('predicate.closes', 'must be after opens');
}

/** The rules of the four governance kinds (assembled into `KIND_RULES`). */
export const GOVERNANCE_KIND_RULES: {
  readonly electorate: KindRules<'electorate'>;
  readonly proposal: KindRules<'proposal'>;
  readonly ballot: KindRules<'ballot'>;
  readonly decision: KindRules<'decision'>;
} = {
  electorate: {
    schema: PREDICATE_SCHEMAS.electorate,
    checkFields(statement, errors) {
      const p = statement.predicate;
      if ((p.version === 1) !== (p.previous === undefined)) {
        errors.add('predicate.previous', p.version === 1 ? 'is not allowed on the genesis (version 1)' : 'is required after version 1');
      }
      const ids = new Map<string, number>();
      const keys = new Map<string, number>();
      p.members.forEach((m, i) => {
        const first = ids.get(m.id);
        if (first !== undefined) errors.add(`predicate.members[${i}].id`, `repeats predicate.members[${first}].id`);
        ids.set(m.id, i);
        if (!(m.weight > 0)) errors.add(`predicate.members[${i}].weight`, 'must be above 0');
        m.keys.forEach((k, j) => {
          const where = `predicate.members[${i}].keys[${j}]`;
          if ((k.kty === 'OKP') !== (k.crv === 'Ed25519')) errors.add(`${where}.crv`, `${k.crv} does not go with kty ${k.kty}`);
          if ((k.kty === 'EC') !== (k.y !== undefined)) errors.add(`${where}.y`, k.kty === 'EC' ? 'is required for EC keys' : 'is only for EC keys');
          const text = canonicalJson(k);
          const owner = keys.get(text);
          if (owner !== undefined) errors.add(where, `is also a key of predicate.members[${owner}]`);
          keys.set(text, i);
        });
      });
      if (p.threshold > p.members.length) errors.add('predicate.threshold', `is above the ${p.members.length} members`);
      if (p.rules.threshold === 0) errors.add('predicate.rules.threshold', 'must be above 0');
      if (errors.count === 0) sameSubjects(statement.subject, [electorateSubject(p)], errors, 'the electorate name, version and members digest');
    },
    checkDigests() {},
    links(statement) {
      return statement.predicate.previous === undefined ? [] : [statement.predicate.previous];
    },
  },
  proposal: {
    schema: PREDICATE_SCHEMAS.proposal,
    checkFields(statement, errors) {
      checkProposal(statement.predicate, errors);
      const p = statement.predicate;
      if (errors.count === 0) {
        const expected = (p.targets ?? [p.electorate]).map(recordSubject);
        sameSubjects(statement.subject, expected, errors, p.targets ? 'the targets' : 'the electorate');
      }
    },
    checkDigests() {},
    links(statement) {
      return [statement.predicate.electorate, ...(statement.predicate.targets ?? [])];
    },
  },
  ballot: {
    schema: PREDICATE_SCHEMAS.ballot,
    checkFields(statement, errors) {
      const p = statement.predicate;
      let size: number;
      try {
        size = canonicalJsonBytes(p.choice).length;
      } catch {
        size = Infinity;
      }
      if (size > MAX_CHOICE_BYTES) errors.add('predicate.choice', `is larger than ${MAX_CHOICE_BYTES} bytes`);
      sameSubjects(statement.subject, [recordSubject(p.proposal)], errors, 'the proposal');
    },
    checkDigests() {},
    links(statement) {
      return [statement.predicate.proposal, statement.predicate.electorate];
    },
  },
  decision: {
    schema: PREDICATE_SCHEMAS.decision,
    checkFields(statement, errors) {
      const p = statement.predicate;
      for (let i = 1; i < p.ballots.length; i++) {
        if (p.ballots[i - 1]! >= p.ballots[i]!) errors.add(`predicate.ballots[${i}]`, 'is out of order: expected sorted ids');
      }
      if ((p.outcome === 'rejected') !== (p.reason !== undefined)) {
        errors.add('predicate.reason', p.outcome === 'rejected' ? 'is required when rejected' : 'is only for rejected decisions');
      }
      if (p.tally.voters > p.ballots.length) errors.add('predicate.tally.voters', 'is more than the ballots listed');
      sameSubjects(statement.subject, [recordSubject(p.proposal)], errors, 'the proposal');
    },
    checkDigests() {},
    links(statement) {
      const p = statement.predicate;
      return [p.proposal, p.electorate, ...p.ballots];
    },
  },
};

