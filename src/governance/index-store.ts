import { ProvenantError } from '../lib/errors.js';
import { validatePayload } from '../records/statement.js';
import { isObject, parseJson } from '../lib/json.js';
import { PREDICATE_TYPES } from '../records/kinds.js';
import type { RecordStore } from '../store/types.js';
import { readStored, type ReadRecord } from './read.js';

/** How many records the index reads at once. */
const READ_AHEAD = 32;

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
    const ids: string[] = [];
    for await (const id of store.list()) ids.push(id.toString());
    // Reads overlap (file I/O waits on the thread pool); records are indexed in the store's order.
    for (let start = 0; start < ids.length; start += READ_AHEAD) {
      const chunk = ids.slice(start, start + READ_AHEAD);
      const read = await Promise.all(chunk.map((id) => index.read(id)));
      for (const record of read) if (record) index.add(record);
    }
    return index;
  }

  /** Read and classify one record; a broken one is noted, not thrown (one bad file must not hide the rest). */
  private async read(id: string): Promise<ReadRecord<GovernanceKind> | undefined> {
    let stored;
    try {
      stored = await this.store.get(id);
    } catch (err) {
      if (!(err instanceof ProvenantError)) throw err;
      this.invalid.push({ id, code: err.code, message: err.message });
      return undefined;
    }
    try {
      // Every record is validated once here; the chain walk reuses the result for the same bytes.
      const validated = validatePayload(stored.payload);
      if (!(GOVERNANCE_KINDS as readonly string[]).includes(validated.kind)) return undefined;
      return readStored(stored, GOVERNANCE_KINDS);
    } catch (err) {
      if (!(err instanceof ProvenantError)) throw err;
      // A governance record that does not validate is noted; anything else is not the index's business.
      if (isGovernancePayload(stored.payload)) this.invalid.push({ id, code: err.code, message: err.message });
      return undefined;
    }
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
