import type { ParameterLimit } from '../outputs/parameters.js';
import type { RecordStore } from '../store/types.js';
import type { ApprovalResult, GovernanceVerifier, PluginCheck, Revocation, VerifyContext, WalkedRecord } from '../verify/governance.js';
import { approvalProblem, ballotVerdict, verifyDecision, type DecisionVerification } from './decision.js';
import { loadElectorate, type VerifiedElectorate } from './electorate.js';
import { GOVERNANCE_KINDS, GovernanceIndex } from './index-store.js';
import { proposalProblems } from './proposal.js';
import { asProblem, readRecord, timeOf, type GovernanceProblem, type ReadRecord } from './read.js';

function failed(problem: GovernanceProblem, check: string): PluginCheck {
  return { check, ok: false, code: problem.code, message: problem.message, record: problem.record };
}

/**
 * The governance plug-in of `verifyChain`: it checks electorates (history
 * back to the policy's genesis), proposals, ballots and decisions (the tally
 * recomputed from the ballots), answers whether a record was approved, which
 * decisions revoked it, and which parameter limits were in force. Results
 * are cached for the life of the verifier (one verification, or several of
 * the same store).
 *
 * @param store the store holding the governance records (it is listed once, to find ballots and decisions)
 * @returns the verifier
 * @example
 * ```ts
 * const report = await verifyChain(outputId, { store, policy, governance: createGovernanceVerifier(store) });
 * ```
 */
export function createGovernanceVerifier(store: RecordStore): GovernanceVerifier {
  let index: Promise<GovernanceIndex> | undefined;
  const indexOf = () => (index ??= GovernanceIndex.build(store));
  const electorates = new Map<string, Promise<VerifiedElectorate | GovernanceProblem>>();
  const decisions = new Map<string, Promise<DecisionVerification>>();
  const ballotVerdicts = new Map<string, GovernanceProblem | undefined>();
  const proposals = new Map<string, Promise<ReadRecord<'proposal'>>>();
  const proposal = (id: string) => {
    let p = proposals.get(id);
    if (!p) {
      p = readRecord(store, id, ['proposal']);
      proposals.set(id, p);
    }
    return p;
  };
  const genesisOf = (context: VerifyContext) => (context.policy.genesis !== undefined ? [context.policy.genesis] : []);

  const electorate = (id: string, context: VerifyContext) => {
    let e = electorates.get(id);
    if (!e) {
      e = loadElectorate(store, id, { genesis: genesisOf(context) }).catch((err: unknown) => asProblem(err, id));
      electorates.set(id, e);
    }
    return e;
  };
  const decision = async (id: string, context: VerifyContext) => {
    let d = decisions.get(id);
    if (!d) {
      d = indexOf().then((i) => verifyDecision(store, id, { genesis: genesisOf(context), index: i, ballotVerdicts }));
      decisions.set(id, d);
    }
    return d;
  };
  /** The verified decisions on proposals that take `action` on `target`, decided by `at`. */
  const decisionsOn = async (target: string, action: string, at: Date, context: VerifyContext) => {
    const i = await indexOf();
    const out: DecisionVerification[] = [];
    for (const p of i.proposalsFor(target, action)) {
      for (const d of i.decisionsFor(p.idString)) {
        if (timeOf(d.predicate.decided) > at.getTime()) continue;
        out.push(await decision(d.idString, context));
      }
    }
    return out;
  };

  return {
    kinds: GOVERNANCE_KINDS,

    async verifyRecord(record: WalkedRecord, context: VerifyContext): Promise<readonly PluginCheck[]> {
      const id = record.idString;
      try {
        switch (record.kind) {
          case 'electorate': {
            const e = await electorate(id, context);
            if ('code' in e) return [failed(e, 'electorate')];
            return [{ check: 'electorate', ok: true, message: `${e.name} v${e.version}: history from genesis ${e.genesis} holds (${e.rotations[e.rotations.length - 1]!.message})` }];
          }
          case 'proposal': {
            const proposal = record as ReadRecord<'proposal'>;
            const e = await electorate(proposal.predicate.electorate, context);
            if ('code' in e) return [failed(e, 'electorate')];
            const problems = proposalProblems(proposal, e);
            if (problems.length > 0) return problems.map((p) => failed(p, 'proposal'));
            return [{ check: 'proposal', ok: true, message: `proposed by member ${proposal.predicate.proposer} of ${e.name} v${e.version}` }];
          }
          case 'ballot': {
            const ballot = record as ReadRecord<'ballot'>;
            const p = await proposal(ballot.predicate.proposal);
            const e = await electorate(p.predicate.electorate, context);
            if ('code' in e) return [failed(e, 'electorate')];
            const problem = ballotVerdict(ballot, p, e, ballotVerdicts);
            return problem ? [failed(problem, 'ballot')] : [{ check: 'ballot', ok: true, message: `cast by member ${ballot.predicate.voter}, signed by their key, inside the window` }];
          }
          case 'decision': {
            const v = await decision(id, context);
            if (!v.ok) return v.problems.map((p) => failed(p, 'tally'));
            return [{ check: 'tally', ok: true, message: `recomputed from ${v.record!.predicate.ballots.length} ballots: ${v.outcome}${v.reason ? ` (${v.reason})` : ''}, as stated` }];
          }
          default:
            return [];
        }
      } catch (err) {
        return [failed(asProblem(err, id), record.kind)];
      }
    },

    timeOf(record: WalkedRecord): Date | undefined {
      const p = record.predicate as { decided?: string; cast?: string; opens?: string; created?: string };
      const text = p.decided ?? p.cast ?? p.opens ?? p.created;
      return text === undefined ? undefined : new Date(timeOf(text));
    },

    async approvalsFor(record: WalkedRecord, action: string, context: VerifyContext): Promise<ApprovalResult> {
      const found = await decisionsOn(record.idString, action, context.at, context);
      const approving = found.filter((v) => v.approved);
      if (approving.length > 0) {
        return {
          approved: true,
          decisions: approving.map((v) => v.decision),
          checks: approving.map((v) => ({
            check: 'approval',
            ok: true,
            message: `${action} approved by decision ${v.decision} (${v.tally!.scores[v.proposal!.predicate.approve - 1]} of ${v.tally!.totalWeight} for)`,
          })),
        };
      }
      // Nothing approves: say why each decision found does not.
      const checks = found.flatMap((v) => (v.ok ? [failed(approvalProblem(v)!, 'approval')] : v.problems.map((p) => failed(p, 'approval'))));
      return { approved: false, decisions: found.map((v) => v.decision), checks };
    },

    async revocationsOf(record: WalkedRecord, context: VerifyContext): Promise<readonly Revocation[]> {
      const found = await decisionsOn(record.idString, 'revoke', new Date(8.64e15), context);
      return found.filter((v) => v.approved).map((v) => ({ decision: v.decision, effectiveAt: new Date(v.decided!) }));
    },

    async parameterLimitsFor(_model: WalkedRecord, at: Date, context: VerifyContext): Promise<readonly ParameterLimit[]> {
      return approvedParameterLimits(store, { genesis: genesisOf(context), at, index: await indexOf(), verify: (id) => decision(id, context) });
    },
  };
}

/** Options of {@link approvedParameterLimits}. */
export interface ParameterLimitsOptions {
  /** Trusted electorate genesis ids (required: limits are trusted through an electorate). */
  genesis: readonly string[];
  /** The limits in force at this time (default now). */
  at?: Date;
  /** An index of the store, when the caller has one. */
  index?: GovernanceIndex;
  /** How a decision is verified (default `verifyDecision`); lets a caller share its cache. */
  verify?: (id: string) => Promise<DecisionVerification>;
}

/**
 * The generation-parameter limits in force at `at`: for each parameter name,
 * the latest `set-parameter` decision that verifies (tally recomputed,
 * electorate from a trusted genesis) and approved, decided by `at`. A
 * serving process passes them to `createOutputSigner({ limits })`; chain
 * verification checks outputs against them.
 *
 * @param store the store holding the governance records
 * @param options trusted genesis, time
 * @returns the limits, each naming its decision
 * @throws InputError when the store cannot be read
 * @example
 * ```ts
 * const limits = await approvedParameterLimits(store, { genesis: [genesisId] });
 * const signer = createOutputSigner({ model, key, limits });
 * ```
 */
export async function approvedParameterLimits(store: RecordStore, options: ParameterLimitsOptions): Promise<ParameterLimit[]> {
  const index = options.index ?? (await GovernanceIndex.build(store));
  const at = (options.at ?? new Date()).getTime();
  const verify = options.verify ?? ((id: string) => verifyDecision(store, id, { genesis: options.genesis, index }));
  const latest = new Map<string, { decided: number; limit: ParameterLimit }>();
  for (const p of index.proposals.values()) {
    const setting = p.predicate.parameter;
    if (p.predicate.action !== 'set-parameter' || setting === undefined) continue;
    for (const d of index.decisionsFor(p.idString)) {
      const decided = timeOf(d.predicate.decided);
      if (decided > at) continue;
      const seen = latest.get(setting.name);
      if (seen && seen.decided >= decided) continue;
      const v = await verify(d.idString);
      if (!v.approved) continue;
      latest.set(setting.name, {
        decided,
        limit: {
          name: setting.name,
          ...(setting.max !== undefined ? { max: setting.max } : {}),
          ...(setting.min !== undefined ? { min: setting.min } : {}),
          ...(setting.equals !== undefined ? { equals: setting.equals } : {}),
          decision: v.decision,
        },
      });
    }
  }
  return [...latest.values()].map((l) => l.limit);
}
