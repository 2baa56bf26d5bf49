import { ProvenantError } from '../lib/errors.js';
import { validatePayload } from '../records/statement.js';
import { isObject, parseJson } from '../lib/json.js';
import { PREDICATE_TYPES } from '../records/kinds.js';
import type { RecordStore } from '../store/types.js';
import { readStored, type ReadRecord } from './read.js';

/** The governance kinds. */
export const GOVERNANCE_KINDS = ['electorate', 'proposal', 'ballot', 'decision'] as const;
/** One of {@link GOVERNANCE_KINDS}. */
export type GovernanceKind = (typeof GOVERNANCE_KINDS)[number];

const GOVERNANCE_TYPES = new Set<string>(GOVERNANCE_KINDS.map((k) => PREDICATE_TYPES[k]));

/** True when the payload declares a governance predicateType (whatever else is wrong with it). */
function isGovernancePayload(payload: Uint8Array): boolean {
  try {
    const value = parseJson(payload, 'record statement');
    return isObject(value) && typeof value.predicateType === 'string' && GOVERNANCE_TYPES.has(value.predicateType);
  } catch {
    return false;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Every governance record of a store, read once and indexed the ways
 * verification looks them up: ballots and decisions by proposal, proposals
 * by target record. Records are schema-checked here; signatures are checked
 * when a decision is verified (they depend on the electorate).
 *
 * @example
 * ```ts
 * const index = await GovernanceIndex.build(store);
 * for (const proposal of index.proposalsFor(modelId)) console.log(proposal.predicate.action);
 * ```
 */
export class GovernanceIndex {
  readonly electorates = new Map<string, ReadRecord<'electorate'>>();
  readonly proposals = new Map<string, ReadRecord<'proposal'>>();
  readonly ballots = new Map<string, ReadRecord<'ballot'>>();
  readonly decisions = new Map<string, ReadRecord<'decision'>>();
  /** Governance records that could not be read or are invalid: id and why. */
  readonly invalid: { id: string; code: string; message: string }[] = [];
  private readonly ballotsByProposal = new Map<string, ReadRecord<'ballot'>[]>();
  private readonly decisionsByProposal = new Map<string, ReadRecord<'decision'>[]>();
  private readonly proposalsByTarget = new Map<string, ReadRecord<'proposal'>[]>();

  private constructor(readonly store: RecordStore) {}

  /**
   * Read every record of `store` and index the governance ones.
   *
   * @param store the store
   * @returns the index
   * @throws InputError when the store cannot be read
   */
  static async build(store: RecordStore): Promise<GovernanceIndex> {
    const index = new GovernanceIndex(store);
    for await (const id of store.list()) {
      const stored = await store.get(id);
      let record: ReadRecord<GovernanceKind>;
      try {
        // Every record is validated once here; the chain walk reuses the result for the same bytes.
        const validated = validatePayload(stored.payload);
        if (!(GOVERNANCE_KINDS as readonly string[]).includes(validated.kind)) continue;
        record = readStored(stored, GOVERNANCE_KINDS);
      } catch (err) {
        // A governance record that does not validate is noted; anything else is not the index's business.
        if (err instanceof ProvenantError && isGovernancePayload(stored.payload)) {
          index.invalid.push({ id: id.toString(), code: err.code, message: err.message });
          continue;
        }
        if (err instanceof ProvenantError) continue;
        throw err;
      }
      index.add(record);
    }
    return index;
  }

  private add(record: ReadRecord<GovernanceKind>): void {
    switch (record.kind) {
      case 'electorate':
        this.electorates.set(record.idString, record as ReadRecord<'electorate'>);
        break;
      case 'proposal': {
        const p = record as ReadRecord<'proposal'>;
        this.proposals.set(p.idString, p);
        for (const t of p.predicate.targets ?? []) push(this.proposalsByTarget, t, p);
        break;
      }
      case 'ballot': {
        const b = record as ReadRecord<'ballot'>;
        this.ballots.set(b.idString, b);
        push(this.ballotsByProposal, b.predicate.proposal, b);
        break;
      }
      case 'decision': {
        const d = record as ReadRecord<'decision'>;
        this.decisions.set(d.idString, d);
        push(this.decisionsByProposal, d.predicate.proposal, d);
        break;
      }
    }
  }

  /**
   * The ballots in the store that name proposal `id`.
   * @param id the proposal id
   * @returns the ballots, in store order
   */
  ballotsFor(id: string): readonly ReadRecord<'ballot'>[] {
    return this.ballotsByProposal.get(id) ?? [];
  }

  /**
   * The decisions in the store on proposal `id`.
   * @param id the proposal id
   * @returns the decisions
   */
  decisionsFor(id: string): readonly ReadRecord<'decision'>[] {
    return this.decisionsByProposal.get(id) ?? [];
  }

  /**
   * The proposals that target record `id` (optionally only those with `action`).
   * @param id the target record id
   * @param action only this action
   * @returns the proposals
   */
  proposalsFor(id: string, action?: string): readonly ReadRecord<'proposal'>[] {
    const list = this.proposalsByTarget.get(id) ?? [];
    return action === undefined ? list : list.filter((p) => p.predicate.action === action);
  }
}
