import type { RecordStore } from '../store/types.js';
import { ballotProblem } from './ballot.js';
import { approvalProblem, verifyDecision, type DecisionVerification } from './decision.js';
import { loadElectorate, type VerifiedElectorate } from './electorate.js';
import { GovernanceIndex } from './index-store.js';
import { asProblem, timeOf, type GovernanceProblem } from './read.js';

/** One ballot as the log shows it. */
export interface LogBallot {
  id: string;
  voter: string;
  choice: unknown;
  /** The choice as labels, when it names choices by index. */
  labels: string[];
  cast: string;
  reason?: string;
  /** Whether the ballot counts (else `problem` says why). */
  counts: boolean;
  problem?: GovernanceProblem;
}

/** One decision as the log shows it. */
export interface LogDecision {
  id: string;
  decided: string;
  /** True when recomputing the tally from its ballots gives what it states. */
  verified: boolean;
  outcome?: 'approved' | 'rejected';
  reason?: string;
  scores?: number[];
  participation?: number;
  totalWeight?: number;
  problems: GovernanceProblem[];
}

/** An entry of the governance timeline. */
export type LogEntry =
  | {
      type: 'electorate';
      time?: string;
      id: string;
      name: string;
      version: number;
      members: { id: string; weight: number; roles: string[] }[];
      threshold: number;
      /** Members of the previous version (and of this one) who signed it, as verified. */
      signedBy?: string[];
      problem?: GovernanceProblem;
    }
  | {
      type: 'proposal';
      time: string;
      id: string;
      action: string;
      title: string;
      rationale: string;
      proposer: string;
      targets: string[];
      parameter?: unknown;
      measure?: string;
      method: string;
      choices: string[];
      window: { opens: string; closes: string };
      electorate: string;
      ballots: LogBallot[];
      decisions: LogDecision[];
      problem?: GovernanceProblem;
    };

function labelsOf(choice: unknown, choices: readonly string[]): string[] {
  const label = (i: unknown) => (typeof i === 'number' && Number.isInteger(i) && i >= 1 && i <= choices.length ? choices[i - 1]! : String(i));
  if (typeof choice === 'number') return [label(choice)];
  if (Array.isArray(choice)) return choice.map(label);
  if (choice !== null && typeof choice === 'object') {
    return Object.entries(choice as Record<string, unknown>).map(([k, v]) => `${label(Number(k))}: ${String(v)}`);
  }
  return [JSON.stringify(choice)];
}

/**
 * The governance history of a store in time order: each electorate version,
 * and each proposal with why it was made, every ballot (who supported what,
 * and whether it counts) and each decision, verified by recomputing its
 * tally.
 *
 * @param store the store
 * @param options trusted genesis ids (absent: each history's own genesis)
 * @returns the entries, oldest first
 * @throws InputError when the store cannot be read
 * @example
 * ```ts
 * for (const e of await governanceLog(store)) console.log(e.type, e.time);
 * ```
 */
export async function governanceLog(store: RecordStore, options: { genesis?: readonly string[] } = {}): Promise<LogEntry[]> {
  const index = await GovernanceIndex.build(store);
  const genesis = options.genesis ? { genesis: options.genesis } : {};
  const entries: LogEntry[] = [];
  const electorates = new Map<string, VerifiedElectorate | GovernanceProblem>();
  const electorate = async (id: string) => {
    let e = electorates.get(id);
    if (e === undefined) {
      try {
        e = await loadElectorate(store, id, genesis);
      } catch (err) {
        e = asProblem(err, id);
      }
      electorates.set(id, e);
    }
    return e;
  };
  for (const record of index.electorates.values()) {
    const p = record.predicate;
    const e = await electorate(record.idString);
    const verified = 'members' in e ? e : undefined;
    const rotation = verified?.rotations[verified.rotations.length - 1];
    entries.push({
      type: 'electorate',
      ...(p.created !== undefined ? { time: p.created } : {}),
      id: record.idString,
      name: p.name,
      version: p.version,
      members: p.members.map((m) => ({ id: m.id, weight: m.weight, roles: m.roles })),
      threshold: p.threshold,
      ...(rotation ? { signedBy: [...new Set([...rotation.oldSigners, ...rotation.newSigners])] } : {}),
      ...(verified ? {} : { problem: e as GovernanceProblem }),
    });
  }
  for (const proposal of index.proposals.values()) {
    const p = proposal.predicate;
    const e = await electorate(p.electorate);
    const verified = 'members' in e ? e : undefined;
    const ballots: LogBallot[] = index
      .ballotsFor(proposal.idString)
      .map((b) => {
        const problem = verified ? ballotProblem(b, proposal, verified) : (e as GovernanceProblem);
        return {
          id: b.idString,
          voter: b.predicate.voter,
          choice: b.predicate.choice,
          labels: labelsOf(b.predicate.choice, p.choices),
          cast: b.predicate.cast,
          ...(b.predicate.reason !== undefined ? { reason: b.predicate.reason } : {}),
          counts: problem === undefined,
          ...(problem ? { problem } : {}),
        };
      })
      .sort((a, b) => timeOf(a.cast) - timeOf(b.cast));
    const decisions: LogDecision[] = [];
    for (const d of index.decisionsFor(proposal.idString)) {
      const v: DecisionVerification = await verifyDecision(store, d.idString, { ...genesis, index });
      const why = approvalProblem(v);
      decisions.push({
        id: d.idString,
        decided: d.predicate.decided,
        verified: v.ok,
        ...(v.outcome ? { outcome: v.outcome } : {}),
        ...(v.reason ? { reason: v.reason } : {}),
        ...(v.tally ? { scores: v.tally.scores, participation: v.tally.scoresTotal, totalWeight: v.tally.totalWeight } : {}),
        problems: v.ok ? (why && !v.approved && v.outcome === 'approved' ? [why] : []) : v.problems,
      });
    }
    entries.push({
      type: 'proposal',
      time: p.opens,
      id: proposal.idString,
      action: p.action,
      title: p.title,
      rationale: p.rationale,
      proposer: p.proposer,
      targets: p.targets ?? [],
      ...(p.parameter ? { parameter: p.parameter } : {}),
      ...(p.measure ? { measure: p.measure } : {}),
      method: p.method,
      choices: p.choices,
      window: { opens: p.opens, closes: p.closes },
      electorate: p.electorate,
      ballots,
      decisions,
      ...(verified ? {} : { problem: e as GovernanceProblem }),
    });
  }
  // Undated electorate versions (no `created`) go first, in version order.
  const key = (e: LogEntry) => (e.time !== undefined ? timeOf(e.time) : -1e15 + (e.type === 'electorate' ? e.version : 0));
  return entries.sort((a, b) => key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
