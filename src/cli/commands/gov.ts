import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { addSignatures } from '../../envelope/sign.js';
import type { PublicKey } from '../../envelope/keys.js';
import { InputError } from '../../lib/errors.js';
import { isObject, parseJson } from '../../lib/json.js';
import { castBallot } from '../../governance/ballot.js';
import { approvalProblem, createDecision, tallyProposal, verifyDecision } from '../../governance/decision.js';
import { createElectorate, loadElectorate, type ElectorateMemberInput } from '../../governance/electorate.js';
import { governanceLog, type LogEntry } from '../../governance/log.js';
import { createProposal } from '../../governance/proposal.js';
import { readRecord, toDate } from '../../governance/read.js';
import { GOVERNANCE_METHODS, PROPOSAL_ACTIONS, type ProposalAction, type VotingRules } from '../../records/schema/governance.js';
import type { RecordStore } from '../../store/types.js';
import { openStore } from '../../store/open.js';
import { openWritableStore } from './store.js';
import {
  loadPublicKey,
  loadSigner,
  loadSigners,
  parseCommandArgs,
  printJson,
  readInput,
  required,
  runSubcommand,
  type CliIo,
  type Command,
} from '../io.js';

const storeFlag = { store: { type: 'string' }, json: { type: 'boolean' } } as const;
const genesisFlag = { genesis: { type: 'string', multiple: true } } as const;

function fraction(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(value) || !(n >= 0 && n <= 1)) {
    throw new InputError('ERR_USAGE', `${flag} expects a fraction from 0 to 1, got ${JSON.stringify(value)}`);
  }
  return n;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new InputError('ERR_USAGE', `${flag} expects one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,6}$/.test(value)) throw new InputError('ERR_USAGE', `${flag} expects a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InputError('ERR_USAGE', `${flag} expects a number, got ${JSON.stringify(value)}`);
  return n;
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function duration(value: string, flag: string): number {
  const m = /^(\d{1,9})([smhd])$/.exec(value);
  if (!m) throw new InputError('ERR_USAGE', `${flag} expects a duration such as 90s, 30m, 24h or 7d, got ${JSON.stringify(value)}`);
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

async function openReadable(path: string | undefined): Promise<RecordStore> {
  return openStore(path);
}

/**
 * Read a members file (YAML or JSON): `members: [{ id, name?, keys: [path | JWK], weight, roles? }]`
 * (or the list itself). Key paths are relative to the file.
 */
async function readMembers(path: string): Promise<ElectorateMemberInput[]> {
  const bytes = await readInput(path, 'members file');
  let value: unknown;
  try {
    value = /\.json$/i.test(path) ? parseJson(bytes, path) : parseYaml(bytes.toString('utf8'), { uniqueKeys: true, maxAliasCount: 0 });
  } catch (err) {
    throw new InputError('ERR_MALFORMED', `${path}: ${(err as Error).message}`, { cause: err });
  }
  const list = isObject(value) && Array.isArray(value.members) ? value.members : value;
  if (!Array.isArray(list) || list.length === 0) throw new InputError('ERR_MALFORMED', `${path}: expected a non-empty list of members (or { members: [...] })`);
  const members: ElectorateMemberInput[] = [];
  for (const [i, m] of list.entries()) {
    const where = `${path}: members[${i}]`;
    if (!isObject(m) || typeof m.id !== 'string' || !Array.isArray(m.keys) || m.keys.length === 0) {
      throw new InputError('ERR_MALFORMED', `${where}: expected { id, keys: [...], weight, roles }`);
    }
    const weight = m.weight ?? 1;
    if (typeof weight !== 'number' || !(weight > 0)) throw new InputError('ERR_MALFORMED', `${where}.weight: expected a number above 0`);
    if (m.roles !== undefined && (!Array.isArray(m.roles) || !m.roles.every((r) => typeof r === 'string'))) {
      throw new InputError('ERR_MALFORMED', `${where}.roles: expected a list of strings`);
    }
    if (m.name !== undefined && typeof m.name !== 'string') throw new InputError('ERR_MALFORMED', `${where}.name: expected a string`);
    const keys: PublicKey[] = [];
    for (const k of m.keys) {
      if (typeof k === 'string') keys.push(await loadPublicKey(resolve(dirname(path), k)));
      else throw new InputError('ERR_MALFORMED', `${where}.keys: expected key file paths`);
    }
    members.push({
      id: m.id,
      ...(typeof m.name === 'string' ? { name: m.name } : {}),
      keys,
      weight,
      ...(m.roles !== undefined ? { roles: m.roles as string[] } : {}),
    });
  }
  return members;
}

const electorateFlags = {
  ...storeFlag,
  ...genesisFlag,
  name: { type: 'string' },
  members: { type: 'string' },
  threshold: { type: 'string' },
  method: { type: 'string' },
  quorum: { type: 'string' },
  approval: { type: 'string' },
  proposers: { type: 'string' },
  key: { type: 'string', short: 'k', multiple: true },
  partial: { type: 'boolean' },
  at: { type: 'string' },
} as const;

const createUsage =
  'provenant gov electorate create --name N --members FILE --threshold N --key KEY... [--method M] [--quorum Q] [--approval A] [--proposers ROLE,...] [--partial] [--at TIME] [--store DIR] [--json]';
const amendUsage =
  'provenant gov electorate amend PREVIOUS_ID --members FILE --threshold N --key KEY... [--method M] [--quorum Q] [--approval A] [--proposers ROLE,...] [--partial] [--genesis ID] [--at TIME] [--store DIR] [--json]';

function rulesFrom(values: { method?: string; quorum?: string; approval?: string; proposers?: string }, base: VotingRules | undefined, usage: string): VotingRules {
  const method = oneOf(values.method, GOVERNANCE_METHODS, '--method') ?? base?.method ?? 'single-choice';
  const quorum = fraction(values.quorum, '--quorum') ?? base?.quorum;
  const threshold = fraction(values.approval, '--approval') ?? base?.threshold;
  const proposers = values.proposers !== undefined ? values.proposers.split(',').filter(Boolean) : base?.proposers;
  return {
    method,
    quorum: required(quorum, '--quorum Q', usage),
    threshold: required(threshold, '--approval A', usage),
    ...(proposers !== undefined ? { proposers } : {}),
  };
}

async function writeElectorate(io: CliIo, values: Record<string, unknown>, previousId: string | undefined, usage: string): Promise<number> {
  const v = values as { [k: string]: string | boolean | string[] | undefined };
  const members = await readMembers(required(v.members as string | undefined, '--members FILE', usage));
  const threshold = required(integer(v.threshold as string | undefined, '--threshold'), '--threshold N', usage);
  const signers = await loadSigners(required(v.key as string[] | undefined, '--key KEY', usage));
  const store = await openWritableStore(v.store as string | undefined);
  const previous = previousId !== undefined ? await loadElectorate(store, previousId, v.genesis ? { genesis: v.genesis as string[] } : {}) : undefined;
  const rules = rulesFrom(v as never, previous?.predicate.rules, usage);
  const name = previous ? ((v.name as string | undefined) ?? previous.name) : required(v.name as string | undefined, '--name N', usage);
  const created = await createElectorate({
    name,
    members,
    threshold,
    rules,
    signers,
    ...(previous ? { previous } : {}),
    ...(v.partial ? { partial: true } : {}),
    created: toDate((v.at as string | undefined) ?? new Date(), '--at'),
  });
  const id = await store.put(created.envelopeBytes);
  const version = created.statement.predicate.version;
  if (v.json) {
    printJson(io, { id: id.toString(), kind: 'electorate', name, version, complete: created.rotation.ok, signedBy: created.rotation.newSigners, store: store.location });
  } else {
    io.stdout.write(`${id}\n`);
    io.stderr.write(`electorate ${name} v${version}: ${members.length} members; ${created.rotation.message}${created.rotation.ok ? '' : ' (partial: co-sign with `provenant gov cosign`)'}\n`);
  }
  return 0;
}

const electorateCreate: Command = {
  summary: 'write the genesis of an electorate, signed by a threshold of its members',
  usage: createUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, electorateFlags, createUsage);
    if (positionals.length > 0) throw new InputError('ERR_USAGE', `unexpected argument ${positionals[0]}\n\nusage: ${createUsage}`);
    return writeElectorate(io, values, undefined, createUsage);
  },
};

const electorateAmend: Command = {
  summary: 'write the next version of an electorate (signed by a threshold of the old and of the new members)',
  usage: amendUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, electorateFlags, amendUsage);
    return writeElectorate(io, values, required(positionals[0], 'PREVIOUS_ID', amendUsage), amendUsage);
  },
};

const electorate: Command = {
  summary: 'create or amend an electorate (create|amend)',
  usage: 'provenant gov electorate <create|amend> ...',
  nested: true,
  run: (argv, io) => runSubcommand('gov electorate', { create: electorateCreate, amend: electorateAmend }, argv, io),
};

const cosignUsage = 'provenant gov cosign ID --key KEY... [--store DIR] [--json]';
const cosign: Command = {
  summary: 'add signatures to a stored record (members co-signing an electorate)',
  usage: cosignUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...storeFlag, key: { type: 'string', short: 'k', multiple: true } }, cosignUsage);
    const id = required(positionals[0], 'ID', cosignUsage);
    const signers = await loadSigners(required(values.key, '--key KEY', cosignUsage));
    const store = await openWritableStore(values.store);
    const stored = await store.get(id);
    const envelope = await addSignatures(stored.envelope, stored.payload, signers);
    await store.put(envelope);
    const merged = await store.get(id);
    if (values.json) printJson(io, { id: stored.id.toString(), signatures: merged.signatures.length });
    else {
      io.stdout.write(`${stored.id}\n`);
      io.stderr.write(`${merged.signatures.length} signatures on ${stored.id}\n`);
    }
    return 0;
  },
};

const proposeUsage =
  'provenant gov propose --electorate ID --as MEMBER --key KEY --action ACTION --title T --rationale R [--target ID...] ' +
  '[--parameter NAME (--max X|--min X|--equals V)] [--measure TEXT] [--method M] [--choice C...] [--approve N] [--abstain N] ' +
  '[--quorum Q] [--approval A] [--opens TIME] (--closes TIME|--duration 24h) [--genesis ID] [--store DIR] [--json]';
const propose: Command = {
  summary: 'put a change to the vote of an electorate',
  usage: proposeUsage,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      {
        ...storeFlag,
        ...genesisFlag,
        electorate: { type: 'string' },
        as: { type: 'string' },
        key: { type: 'string', short: 'k' },
        action: { type: 'string' },
        title: { type: 'string' },
        rationale: { type: 'string' },
        target: { type: 'string', multiple: true },
        parameter: { type: 'string' },
        max: { type: 'string' },
        min: { type: 'string' },
        equals: { type: 'string' },
        measure: { type: 'string' },
        method: { type: 'string' },
        choice: { type: 'string', multiple: true },
        approve: { type: 'string' },
        abstain: { type: 'string' },
        quorum: { type: 'string' },
        approval: { type: 'string' },
        opens: { type: 'string' },
        closes: { type: 'string' },
        duration: { type: 'string' },
      },
      proposeUsage,
    );
    const action = required(oneOf<ProposalAction>(values.action, PROPOSAL_ACTIONS, '--action'), '--action ACTION', proposeUsage);
    const signer = await loadSigner(required(values.key, '--key KEY', proposeUsage));
    const store = await openWritableStore(values.store);
    const electorate = await loadElectorate(store, required(values.electorate, '--electorate ID', proposeUsage), values.genesis ? { genesis: values.genesis } : {});
    const opens = toDate(values.opens ?? new Date(), '--opens');
    if ((values.closes === undefined) === (values.duration === undefined)) throw new InputError('ERR_USAGE', `give one of --closes TIME or --duration D\n\nusage: ${proposeUsage}`);
    const closes = values.closes !== undefined ? toDate(values.closes, '--closes') : new Date(opens.getTime() + duration(values.duration!, '--duration'));
    const max = number(values.max, '--max');
    const min = number(values.min, '--min');
    const approve = integer(values.approve, '--approve');
    const abstain = integer(values.abstain, '--abstain');
    const quorum = fraction(values.quorum, '--quorum');
    const threshold = fraction(values.approval, '--approval');
    const method = oneOf(values.method, GOVERNANCE_METHODS, '--method');
    const record = await createProposal({
      electorate,
      proposer: required(values.as, '--as MEMBER', proposeUsage),
      signer,
      action,
      title: required(values.title, '--title T', proposeUsage),
      rationale: required(values.rationale, '--rationale R', proposeUsage),
      ...(values.target ? { targets: values.target } : {}),
      ...(values.parameter !== undefined
        ? { parameter: { name: values.parameter, ...(max !== undefined ? { max } : {}), ...(min !== undefined ? { min } : {}), ...(values.equals !== undefined ? { equals: values.equals } : {}) } }
        : {}),
      ...(values.measure !== undefined ? { measure: values.measure } : {}),
      ...(method ? { method } : {}),
      ...(values.choice ? { choices: values.choice } : {}),
      ...(approve !== undefined ? { approve } : {}),
      ...(abstain !== undefined ? { abstain } : {}),
      ...(quorum !== undefined ? { quorum } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      opens,
      closes,
    });
    const id = await store.put(record.envelopeBytes);
    const p = record.statement.predicate;
    if (values.json) printJson(io, { id: id.toString(), kind: 'proposal', action, title: p.title, opens: p.opens, closes: p.closes, choices: p.choices, store: store.location });
    else {
      io.stdout.write(`${id}\n`);
      io.stderr.write(`proposal "${p.title}" (${action}): voting ${p.opens} to ${p.closes}; choices ${p.choices.map((c, i) => `${i + 1}=${c}`).join(', ')}\n`);
    }
    return 0;
  },
};

/** A choice given on the command line: a label, an index, or JSON (an array or an object). */
function parseChoice(text: string, choices: readonly string[]): unknown {
  const label = choices.indexOf(text);
  if (label >= 0) return label + 1;
  if (/^\s*[[{]/.test(text)) {
    try {
      const value = parseJson(text, '--choice', { maxBytes: 8192 });
      if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' && choices.includes(v) ? choices.indexOf(v) + 1 : v));
      return value;
    } catch (err) {
      throw new InputError('ERR_USAGE', `--choice: ${(err as Error).message}`, { cause: err });
    }
  }
  if (/^\d{1,3}$/.test(text)) return Number(text);
  throw new InputError('ERR_USAGE', `--choice expects one of ${choices.map((c, i) => `${JSON.stringify(c)} (${i + 1})`).join(', ')}, or JSON such as [1,3] or {"1":2,"2":1}; got ${JSON.stringify(text)}`);
}

const voteUsage = 'provenant gov vote PROPOSAL_ID --as MEMBER --key KEY --choice C [--reason TEXT] [--at TIME] [--genesis ID] [--store DIR] [--json]';
const vote: Command = {
  summary: 'cast a signed ballot on a proposal',
  usage: voteUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...storeFlag, ...genesisFlag, as: { type: 'string' }, key: { type: 'string', short: 'k' }, choice: { type: 'string' }, reason: { type: 'string' }, at: { type: 'string' } },
      voteUsage,
    );
    const proposalId = required(positionals[0], 'PROPOSAL_ID', voteUsage);
    const voter = required(values.as, '--as MEMBER', voteUsage);
    const signer = await loadSigner(required(values.key, '--key KEY', voteUsage));
    const store = await openWritableStore(values.store);
    const proposal = await readRecord(store, proposalId, ['proposal']);
    const electorate = await loadElectorate(store, proposal.predicate.electorate, values.genesis ? { genesis: values.genesis } : {});
    const choice = parseChoice(required(values.choice, '--choice C', voteUsage), proposal.predicate.choices);
    const record = await castBallot({
      proposal,
      electorate,
      voter,
      signer,
      choice,
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
      ...(values.at !== undefined ? { cast: values.at } : {}),
    });
    const id = await store.put(record.envelopeBytes);
    if (values.json) printJson(io, { id: id.toString(), kind: 'ballot', proposal: proposal.idString, voter, choice, cast: record.statement.predicate.cast, store: store.location });
    else {
      io.stdout.write(`${id}\n`);
      io.stderr.write(`${voter} voted ${JSON.stringify(choice)} on "${proposal.predicate.title}"\n`);
    }
    return 0;
  },
};

const tallyUsage = 'provenant gov tally PROPOSAL_ID --key KEY [--at TIME] [--dry-run] [--genesis ID] [--store DIR] [--json]';
const tally: Command = {
  summary: 'count the ballots and write the signed decision',
  usage: tallyUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...storeFlag, ...genesisFlag, key: { type: 'string', short: 'k' }, at: { type: 'string' }, 'dry-run': { type: 'boolean' } },
      tallyUsage,
    );
    const proposalId = required(positionals[0], 'PROPOSAL_ID', tallyUsage);
    const dryRun = values['dry-run'] === true;
    const signer = dryRun ? undefined : await loadSigner(required(values.key, '--key KEY', tallyUsage));
    const store = dryRun ? await openReadable(values.store) : await openWritableStore(values.store);
    const at = toDate(values.at ?? new Date(), '--at');
    const t = await tallyProposal(store, proposalId, { at, ...(values.genesis ? { genesis: values.genesis } : {}) });
    const p = t.proposal.predicate;
    const summary = {
      proposal: t.proposal.idString,
      outcome: t.outcome,
      ...(t.reason ? { reason: t.reason } : {}),
      quorumMet: t.quorumMet,
      tally: t.tally,
      counted: t.counted.map((b) => b.idString),
      rejected: t.rejected,
      superseded: t.superseded,
    };
    let id: string | undefined;
    if (signer) {
      const record = await createDecision(t, { signer, decided: at });
      id = (await (store as Awaited<ReturnType<typeof openWritableStore>>).put(record.envelopeBytes)).toString();
    }
    if (values.json) printJson(io, { ...(id ? { id, kind: 'decision' } : {}), ...summary });
    else {
      if (id) io.stdout.write(`${id}\n`);
      const scores = p.choices.map((c, i) => `${c} ${t.tally.scores[i]}`).join(', ');
      io.stderr.write(
        `"${p.title}": ${t.outcome.toUpperCase()}${t.reason ? ` (${t.reason})` : ''}; ${scores}; participation ${t.tally.scoresTotal} of ${t.tally.totalWeight} ` +
          `(quorum ${p.quorum}, threshold ${p.threshold}); ${t.counted.length} ballots counted, ${t.rejected.length} rejected${dryRun ? ' (dry run: nothing written)' : ''}\n`,
      );
      for (const r of t.rejected) io.stderr.write(`  rejected ${r.record}: ${r.code}: ${r.message}\n`);
    }
    return 0;
  },
};

const showUsage = 'provenant gov show ID [--genesis ID] [--store DIR|FILE.car] [--json]';
const show: Command = {
  summary: 'show a governance record; a decision is verified by recomputing its tally',
  usage: showUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...storeFlag, ...genesisFlag }, showUsage);
    const id = required(positionals[0], 'ID', showUsage);
    const store = await openReadable(values.store);
    const record = await readRecord(store, id, ['electorate', 'proposal', 'ballot', 'decision']);
    const genesis = values.genesis ? { genesis: values.genesis } : {};
    let verification: unknown;
    let verified = true;
    let text = '';
    switch (record.kind) {
      case 'decision': {
        const v = await verifyDecision(store, id, genesis);
        verified = v.ok;
        const why = approvalProblem(v);
        verification = { ok: v.ok, approved: v.approved, outcome: v.outcome, reason: v.reason, tally: v.tally, problems: v.problems };
        text =
          `decision on ${record.predicate.proposal}: states ${record.predicate.outcome}; ` +
          (v.ok ? `verified: the recomputed tally matches (${v.outcome}${why && !v.approved ? `: ${why.code}` : ''})` : `NOT VERIFIED:\n${v.problems.map((p) => `  ${p.code} ${p.record}: ${p.message}`).join('\n')}`);
        break;
      }
      case 'electorate': {
        try {
          const e = await loadElectorate(store, id, genesis);
          verification = { ok: true, genesis: e.genesis, pinned: e.pinned, history: e.history, signedBy: e.rotations[e.rotations.length - 1]!.newSigners };
          text = `electorate ${e.name} v${e.version}: ${e.members.size} members, total weight ${e.totalWeight}; history ok (${e.rotations[e.rotations.length - 1]!.message})`;
        } catch (err) {
          if (!(err instanceof Error && 'code' in err)) throw err;
          verified = false;
          verification = { ok: false, code: (err as { code: string }).code, message: err.message };
          text = `electorate NOT VERIFIED: ${(err as { code: string }).code}: ${err.message}`;
        }
        break;
      }
      case 'proposal': {
        const t = await tallyProposal(store, id, genesis);
        verification = { ok: true, outcome: t.outcome, reason: t.reason, tally: t.tally, counted: t.counted.map((b) => b.idString), rejected: t.rejected, windowClosed: t.windowClosed, allVoted: t.allVoted };
        const p = record.predicate;
        text = `proposal "${p.title}" (${p.action}) by ${p.proposer}, ${p.opens} to ${p.closes}; so far: ${p.choices.map((c, i) => `${c} ${t.tally.scores[i]}`).join(', ')} (${t.outcome}${t.reason ? `, ${t.reason}` : ''})`;
        break;
      }
      case 'ballot': {
        const b = record.predicate;
        text = `ballot by ${b.voter} on ${b.proposal}: ${JSON.stringify(b.choice)} at ${b.cast}${b.reason ? ` (${b.reason})` : ''}`;
        break;
      }
    }
    if (values.json) printJson(io, { id: record.idString, kind: record.kind, predicate: record.predicate, ...(verification !== undefined ? { verification } : {}) });
    else io.stdout.write(`${text}\n`);
    return verified ? 0 : 1;
  },
};

export const gov: Command = {
  summary: 'governance: electorates, proposals, ballots, decisions (electorate|propose|vote|tally|show|cosign)',
  usage: 'provenant gov <electorate|propose|vote|tally|show|cosign> ...',
  run: (argv, io) => runSubcommand('gov', { electorate, propose, vote, tally, show, cosign }, argv, io),
};

function printLog(io: CliIo, entries: readonly LogEntry[]): void {
  for (const e of entries) {
    if (e.type === 'electorate') {
      io.stdout.write(
        `${e.time ?? '(undated)'}  electorate ${e.name} v${e.version}  ${e.id}\n    ${e.members.length} members (${e.members.map((m) => `${m.id}:${m.weight}`).join(', ')}), threshold ${e.threshold}` +
          `${e.signedBy ? `; signed by ${e.signedBy.join(', ')}` : ''}${e.problem ? `\n    ✗ ${e.problem.code}: ${e.problem.message}` : ''}\n`,
      );
      continue;
    }
    io.stdout.write(`${e.time}  proposal "${e.title}" (${e.action}) by ${e.proposer}  ${e.id}\n`);
    if (e.targets.length) io.stdout.write(`    targets: ${e.targets.join(', ')}\n`);
    if (e.parameter) io.stdout.write(`    parameter: ${JSON.stringify(e.parameter)}\n`);
    io.stdout.write(`    why: ${e.rationale.split('\n')[0]}\n`);
    if (e.problem) io.stdout.write(`    ✗ ${e.problem.code}: ${e.problem.message}\n`);
    for (const b of e.ballots) {
      io.stdout.write(`    ${b.cast}  ${b.counts ? '✓' : '✗'} ${b.voter}: ${b.labels.join(', ')}${b.reason ? ` ("${b.reason}")` : ''}${b.problem ? ` [${b.problem.code}]` : ''}\n`);
    }
    for (const d of e.decisions) {
      const scores = d.scores ? e.choices.map((c, i) => `${c} ${d.scores![i]}`).join(', ') : '';
      io.stdout.write(
        `    ${d.decided}  decision ${d.verified ? '✓ verified' : '✗ NOT VERIFIED'}: ${d.outcome ?? '?'}${d.reason ? ` (${d.reason})` : ''}${scores ? `; ${scores}; participation ${d.participation} of ${d.totalWeight}` : ''}  ${d.id}\n`,
      );
      for (const p of d.problems) io.stdout.write(`      ✗ ${p.code}: ${p.message}\n`);
    }
  }
}

const logUsage = 'provenant log [--genesis ID] [--store DIR|FILE.car] [--json]';
export const log: Command = {
  summary: 'print the governance history in time order: changes, why, and who supported them',
  usage: logUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...storeFlag, ...genesisFlag }, logUsage);
    if (positionals.length > 0) throw new InputError('ERR_USAGE', `unexpected argument ${positionals[0]}\n\nusage: ${logUsage}`);
    const store = await openReadable(values.store);
    const entries = await governanceLog(store, values.genesis ? { genesis: values.genesis } : {});
    if (values.json) printJson(io, entries);
    else if (entries.length === 0) io.stderr.write(`no governance records in ${store.location}\n`);
    else printLog(io, entries);
    return 0;
  },
};
