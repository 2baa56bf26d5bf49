/**
 * verifyChain with the real governance plug-in (createGovernanceVerifier):
 * a council adopts the model by vote, outputs are made before and after a
 * later revocation, and the policy requires the adoption. The untouched
 * chain passes; an output made after the revocation, an output made before
 * the adoption, and a chain without the genesis in the policy fail, each
 * with its code.
 */
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner, type Signer } from '../src/envelope/keys.js';
import { castBallot } from '../src/governance/ballot.js';
import { createDecision, tallyProposal } from '../src/governance/decision.js';
import { createElectorate, loadElectorate } from '../src/governance/electorate.js';
import { createProposal } from '../src/governance/proposal.js';
import { readRecord } from '../src/governance/read.js';
import { createGovernanceVerifier } from '../src/governance/verifier.js';
import type { ProposalAction } from '../src/records/schema/governance.js';
import { createRecord } from '../src/records/create-record.js';
import { sha256Subject } from '../src/records/statement.js';
import { DirectoryStore } from '../src/store/directory.js';
import { verifyChain } from '../src/verify/chain.js';
import { parsePolicy, type TrustPolicy } from '../src/verify/policy.js';
import { formatReportText, type VerifyReport } from '../src/verify/report.js';
import { cleanupTemp, HAVE_DIST, makeTemp, runCli } from './helpers.js';
import { buildChain, policyYaml, sha256, type TestChain } from './verify-helpers.js';

const DAY = 86_400_000;
const now = Date.now();
const ago = (days: number) => new Date(now - days * DAY);

let chain: TestChain;
let store: DirectoryStore;
let storeDir: string;
let policyText: string;
let genesisId: string;
let policy: TrustPolicy;
let council: Signer[];
let outputBefore: string;
let outputAfter: string;
let outputTooEarly: string;
let adoptDecision: string;
let revokeDecision: string;

function failures(report: VerifyReport): string[] {
  return report.checks.filter((c) => !c.ok).map((c) => `${c.check} ${c.code}`);
}

async function vote(action: ProposalAction, targets: string[], opens: Date, choices: number[]): Promise<string> {
  const electorate = await loadElectorate(store, genesisId, { genesis: [genesisId] });
  const closes = new Date(opens.getTime() + DAY);
  const proposal = await createProposal({ electorate, proposer: 'm0', signer: council[0]!, action, title: `${action} tiny`, rationale: 'test', targets, opens, closes });
  const proposalId = (await store.put(proposal.envelopeBytes)).toString();
  const read = await readRecord(store, proposalId, ['proposal']);
  for (const [i, choice] of choices.entries()) {
    const ballot = await castBallot({ proposal: read, electorate, voter: `m${i}`, signer: council[i]!, choice, cast: new Date(opens.getTime() + (i + 1) * 60_000) });
    await store.put(ballot.envelopeBytes);
  }
  const tally = await tallyProposal(store, proposalId, { genesis: [genesisId] });
  const decision = await createDecision(tally, { signer: council[0]!, decided: new Date(closes.getTime() + 60_000) });
  return (await store.put(decision.envelopeBytes)).toString();
}

async function output(text: string, created: Date): Promise<string> {
  const record = await createRecord({
    kind: 'output',
    subject: [sha256Subject('output', sha256(text))],
    predicate: { model: chain.modelId, created: created.toISOString(), mediaType: 'text/plain; charset=utf-8', size: text.length, parameters: { temperature: 0.5 } },
    signers: [chain.keys.server],
  });
  return (await store.put(record.envelopeBytes)).toString();
}

beforeAll(async () => {
  chain = await buildChain();
  storeDir = join(await makeTemp('provenant-verify-gov-'), 'store');
  await cp(chain.storeDir, storeDir, { recursive: true });
  store = new DirectoryStore(storeDir);
  council = await Promise.all([0, 1, 2].map(async () => importSigner(generateKeyPair('ed25519').privateKeyPem)));
  const genesis = await createElectorate({
    name: 'council',
    members: council.map((s, i) => ({ id: `m${i}`, keys: [s.publicKey], weight: 1, roles: ['developer'] })),
    threshold: 2,
    rules: { method: 'single-choice', quorum: 0.5, threshold: 0.5 },
    signers: [council[0]!, council[1]!],
    created: ago(30),
  });
  genesisId = (await store.put(genesis.envelopeBytes)).toString();
  // Adopted 20 days ago (model and its parent), revoked 10 days ago.
  adoptDecision = await vote('adopt-model', [chain.modelId], ago(22), [1, 1, 2]);
  await vote('adopt-model', [chain.parentId], ago(24), [1, 2, 1]);
  revokeDecision = await vote('revoke', [chain.modelId], ago(12), [1, 1, 1]);
  outputTooEarly = await output('made before the adoption', ago(25));
  outputBefore = await output('made while adopted', ago(15));
  outputAfter = await output('made after the revocation', ago(5));
  policyText = `${policyYaml().replace('model: { signedBy: publisher }', 'model: { signedBy: publisher, approval: adopt-model }')}governance: { genesis: ${genesisId} }\n`;
  policy = await parsePolicy(policyText, { baseDir: chain.dir });
}, 120_000);
afterAll(cleanupTemp);

describe('verifyChain with createGovernanceVerifier', () => {
  it('an output made while its model was adopted and not yet revoked verifies; the adoption decision is in the chain', async () => {
    const report = await verifyChain(outputBefore, { store, policy, governance: createGovernanceVerifier(store) });
    expect(failures(report), formatReportText(report, { failuresOnly: true })).toEqual([]);
    const model = report.chain.find((r) => r.id === chain.modelId)!;
    expect(model.links).toContainEqual({ id: adoptDecision, role: 'approval' });
    expect(report.checks.filter((c) => c.record === chain.modelId && c.check === 'approval').every((c) => c.ok)).toBe(true);
    expect(report.checks.find((c) => c.record === chain.modelId && c.check === 'revocation')!.message).toMatch(/^not revoked as of /);
  });

  it('an output made after its model was revoked fails with ERR_REVOKED (on the model)', async () => {
    const report = await verifyChain(outputAfter, { store, policy, governance: createGovernanceVerifier(store) });
    expect(failures(report)).toEqual(['revocation ERR_REVOKED']);
    const revoked = report.checks.find((c) => !c.ok)!;
    expect(revoked.record).toBe(chain.modelId);
    expect(revoked.message).toContain(revokeDecision);
  });

  it('the model itself, verified now, is revoked', async () => {
    const report = await verifyChain(chain.modelId, { store, policy, governance: createGovernanceVerifier(store) });
    expect(failures(report)).toEqual(['revocation ERR_REVOKED']);
  });

  it('an output made before the model was adopted: ERR_APPROVAL_MISSING', async () => {
    const report = await verifyChain(outputTooEarly, { store, policy, governance: createGovernanceVerifier(store) });
    expect(new Set(failures(report))).toEqual(new Set(['approval ERR_APPROVAL_MISSING']));
  });

  it('the decision walked as a target: its proposal, ballots and electorate are checked by the plug-in', async () => {
    const report = await verifyChain(adoptDecision, { store, policy, governance: createGovernanceVerifier(store) });
    const kinds = report.chain.map((r) => r.kind);
    expect(kinds.filter((k) => k === 'ballot')).toHaveLength(3);
    expect(kinds).toContain('proposal');
    expect(kinds).toContain('electorate');
    expect(report.checks.filter((c) => c.check === 'tally')).toEqual([expect.objectContaining({ ok: true, record: adoptDecision })]);
    expect(report.checks.filter((c) => c.check === 'ballot')).toHaveLength(3);
    // The proposal's target (the model) is listed, not walked: adopting it does not require it adopted already.
    expect(failures(report)).toEqual([]);
    const proposal = report.chain.find((r) => r.kind === 'proposal')!;
    expect(proposal.links).toContainEqual({ id: chain.modelId, role: 'target' });
    expect(report.chain.map((r) => r.id)).not.toContain(chain.modelId);
  });

  it('without a governance verifier, the same chain fails closed (ERR_GOVERNANCE_UNAVAILABLE)', async () => {
    const report = await verifyChain(outputBefore, { store, policy });
    expect(new Set(failures(report))).toEqual(
      new Set(['approval ERR_GOVERNANCE_UNAVAILABLE', 'revocation ERR_GOVERNANCE_UNAVAILABLE', 'parameters ERR_GOVERNANCE_UNAVAILABLE']),
    );
  });
});

describe.skipIf(!HAVE_DIST)('provenant verify with a governance genesis in the policy', () => {
  it('plugs the governance verifier in: the adopted output passes (exit 0), the one made after the revocation fails (exit 1, ERR_REVOKED)', async () => {
    await writeFile(join(chain.dir, 'policy-gov.yaml'), policyText);
    const ok = await runCli(['verify', outputBefore, '--policy', 'policy-gov.yaml', '--store', storeDir], { cwd: chain.dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('✓ approval: approved (adopt-model) by ');
    const revoked = await runCli(['verify', outputAfter, '--policy', 'policy-gov.yaml', '--store', storeDir, '--json'], { cwd: chain.dir });
    expect(revoked.code).toBe(1);
    const report = JSON.parse(revoked.stdout) as VerifyReport;
    expect(failures(report)).toEqual(['revocation ERR_REVOKED']);
  });
});
