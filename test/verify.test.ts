/**
 * verifyChain: the chain walk over a real store (model -> weights, datasets,
 * parent model), the trust policy's roles and thresholds, every failure a
 * chain can have (each named for the attack or accident), the weight files
 * on disk, outputs, and the governance plug-in point with a fake verifier.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDigestOf } from '../src/digest/model.js';
import type { Signer } from '../src/envelope/keys.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { fromHex, toHex, utf8 } from '../src/lib/bytes.js';
import { VerificationError } from '../src/lib/errors.js';
import { canonicalJsonBytes } from '../src/lib/json.js';
import { createRecord } from '../src/records/create-record.js';
import { parseRecordId } from '../src/records/id.js';
import { sha256Subject } from '../src/records/statement.js';
import type { ModelPredicate } from '../src/records/schema/model.js';
import type { RecordSource } from '../src/records/types.js';
import { signModel } from '../src/records/oms/sign-model.js';
import { DirectoryStore } from '../src/store/directory.js';
import { verifyChain, type VerifyChainOptions } from '../src/verify/chain.js';
import type { GovernanceVerifier, WalkedRecord } from '../src/verify/governance.js';
import { loadPolicy, parsePolicy, policyFromKeys, type TrustPolicy } from '../src/verify/policy.js';
import { CHECK_NAMES, formatReportText, type VerifyReport } from '../src/verify/report.js';
import { walkGraph } from '../src/verify/walk.js';
import { cleanupTemp, expectCode, makeTemp } from './helpers.js';
import { buildChain, policyYaml, resign, sha256, type TestChain } from './verify-helpers.js';

let chain: TestChain;
let policy: TrustPolicy;

beforeAll(async () => {
  chain = await buildChain();
  policy = await loadPolicy(chain.policyPath);
}, 60_000);
afterAll(cleanupTemp);

/** The failed checks, as `check code` strings. */
function failures(report: VerifyReport): string[] {
  return report.checks.filter((c) => !c.ok).map((c) => `${c.check} ${c.code}`);
}

function failuresOf(report: VerifyReport, record: string): string[] {
  return report.checks.filter((c) => !c.ok && c.record === record).map((c) => `${c.check} ${c.code}`);
}

/** A copy of the chain's store to tamper with. */
async function storeCopy(): Promise<{ dir: string; store: DirectoryStore }> {
  const dir = join(await makeTemp('provenant-verify-store-'), 'store');
  await cp(chain.storeDir, dir, { recursive: true });
  return { dir, store: new DirectoryStore(dir) };
}

async function verifyWith(store: DirectoryStore, overrides: Partial<VerifyChainOptions> = {}, target: string = chain.modelId): Promise<VerifyReport> {
  return verifyChain(target, { store, policy, ...overrides });
}

async function policyWith(extra: string): Promise<TrustPolicy> {
  return parsePolicy(policyYaml(extra), { baseDir: chain.dir });
}

describe('verifyChain: an untouched chain', () => {
  it('walks model -> weights, datasets, parent (-> its dataset and weights) once each, every check passing', async () => {
    const report = await verifyChain(chain.modelId, { store: chain.store, policy });
    expect(failures(report)).toEqual([]);
    expect(report.verified).toBe(true);
    expect(report.target).toBe(chain.modelId);
    expect(report.roots).toEqual([chain.modelId]);
    // Breadth-first, each record once: the parent's weights and dataset are the model's own.
    expect(report.chain.map((r) => [r.kind, r.depth])).toEqual([
      ['model', 0],
      ['weights', 1],
      ['dataset', 1],
      ['dataset', 1],
      ['dataset', 1],
      ['model', 1],
    ]);
    const model = report.chain[0]!;
    expect(model.summary).toBe('tiny@1.0');
    expect(model.signedBy).toEqual([chain.keys.publisher.publicKey.keyId]);
    expect(model.links).toEqual([
      { id: chain.weightsId, role: 'weights' },
      ...chain.datasetIds.map((id) => ({ id, role: 'dataset' })),
      { id: chain.parentId, role: 'parent' },
    ]);
    const dataset = report.chain.find((r) => r.id === chain.datasetIds[0])!;
    expect([...dataset.signedBy].sort()).toEqual([chain.keys.curatorA.publicKey.keyId, chain.keys.curatorB.publicKey.keyId].sort());
    const signature = report.checks.find((c) => c.record === chain.datasetIds[0] && c.check === 'signature')!;
    expect(signature.message).toBe('signed by 2 of the 2 curator keys (threshold 2)');
    for (const c of report.checks) expect(CHECK_NAMES).toContain(c.check);
    // Every record gets schema and signature checks; every link of the model a link check.
    for (const r of report.chain) {
      expect(report.checks.filter((c) => c.record === r.id && c.check === 'schema')).toHaveLength(1);
      expect(report.checks.filter((c) => c.record === r.id && c.check === 'signature')).toHaveLength(1);
    }
    expect(report.checks.filter((c) => c.record === chain.modelId && c.check === 'link')).toHaveLength(5);
  });

  it('accepts the target as a CID, as envelope bytes, and as an artifact (content or sha256)', async () => {
    const byCid = await verifyChain(parseRecordId(chain.modelId), { store: chain.store, policy });
    expect(byCid.verified).toBe(true);
    const envelope = (await chain.store.get(chain.modelId)).envelopeBytes;
    const byBytes = await verifyChain(envelope, { store: chain.store, policy });
    expect(byBytes.verified).toBe(true);
    expect(byBytes.target).toBe(chain.modelId);
    // A dataset file is named by its dataset record; a weight file by the weights record.
    const content = new Uint8Array(await readFile(chain.datasetFile));
    const byContent = await verifyChain({ content }, { store: chain.store, policy });
    expect(byContent.target).toBe(`sha256:${sha256(content)}`);
    expect(byContent.roots).toEqual([chain.datasetIds[0]]);
    expect(byContent.verified).toBe(true);
    const weightFile = await readFile(join(chain.modelDir, 'model.safetensors'));
    const byDigest = await verifyChain({ sha256: sha256(weightFile) }, { store: chain.store, policy });
    expect(byDigest.roots).toEqual([chain.weightsId]);
    expect(byDigest.verified).toBe(true);
  });

  it('an artifact no record names, and a record id not in the store: ERR_TARGET_NOT_FOUND', async () => {
    const none = await verifyChain({ content: new TextEncoder().encode('nobody signed this') }, { store: chain.store, policy });
    expect(none.verified).toBe(false);
    expect(failures(none)).toEqual(['target ERR_TARGET_NOT_FOUND']);
    const predicate = datasetPredicate('x');
    const other = (await createRecord({ kind: 'dataset', subject: [sha256Subject('x', predicate.rootDigest)], predicate, signers: [chain.keys.curatorA] })).id;
    const missing = await verifyChain(other, { store: chain.store, policy });
    expect(failures(missing)).toEqual(['target ERR_TARGET_NOT_FOUND']);
    expect(formatReportText(missing)).toContain('ERR_TARGET_NOT_FOUND');
  });

  it('misuse throws: a malformed id or envelope (InputError), no policy, a bad time, an artifact with a store that cannot list (TypeError)', async () => {
    await expectCode(verifyChain('bagaaieranot-an-id', { store: chain.store, policy }), 'ERR_MALFORMED');
    await expectCode(verifyChain(new TextEncoder().encode('{"payload":1}'), { store: chain.store, policy }), 'ERR_MALFORMED');
    await expect(verifyChain(chain.modelId, { store: chain.store } as unknown as VerifyChainOptions)).rejects.toThrow(TypeError);
    await expect(verifyChain(chain.modelId, { store: chain.store, policy, at: new Date('nope') })).rejects.toThrow(TypeError);
    const source: RecordSource = { get: async () => undefined };
    await expect(verifyChain({ content: new Uint8Array(1) }, { store: source, policy })).rejects.toThrow(TypeError);
  });
});

function datasetPredicate(name: string) {
  const file = sha256(name);
  return { name, version: '1', files: [{ name: `${name}.txt`, sha256: file, size: name.length }], rootDigest: toHex(rootDigestOf([fromHex(file)!])) };
}

describe('verifyChain: chains that must fail, each with its code', () => {
  it('a weight file swapped after signing: weights-files ERR_MODEL_MISMATCH naming the file (the untouched copy passes)', async () => {
    const good = await verifyChain(chain.modelId, { store: chain.store, policy, modelPath: chain.modelDir });
    expect(failures(good)).toEqual([]);
    expect(good.checks.find((c) => c.check === 'weights-files')).toMatchObject({ record: chain.weightsId, ok: true });
    const swapped = join(await makeTemp('provenant-swapped-'), 'model');
    await cp(chain.modelDir, swapped, { recursive: true });
    await writeFile(join(swapped, 'model.safetensors'), 'weightz'.repeat(2000));
    const report = await verifyChain(chain.modelId, { store: chain.store, policy, modelPath: swapped });
    expect(report.verified).toBe(false);
    expect(failures(report)).toEqual(['weights-files ERR_MODEL_MISMATCH']);
    expect(report.checks.find((c) => !c.ok)!.details).toEqual(['different: model.safetensors']);
  });

  it('a model path that does not exist is bad input (throws ERR_NOT_FOUND), not a failed check', async () => {
    await expectCode(verifyChain(chain.modelId, { store: chain.store, policy, modelPath: join(chain.dir, 'nope') }), 'ERR_NOT_FOUND');
  });

  it('a dataset record re-signed by an untrusted key: signature ERR_SIGNATURE_INVALID on that dataset only', async () => {
    const { store } = await storeCopy();
    const id = chain.datasetIds[1]!;
    await writeFile(store.pathOf(id), await resign((await store.get(id)).envelopeBytes, [chain.keys.mallory]));
    const report = await verifyWith(store);
    expect(report.verified).toBe(false);
    expect(failures(report)).toEqual(['signature ERR_SIGNATURE_INVALID']);
    expect(failuresOf(report, id)).toEqual(['signature ERR_SIGNATURE_INVALID']);
  });

  it('a policy role threshold not met: one of the two curators signed (ERR_THRESHOLD_NOT_MET)', async () => {
    const { store } = await storeCopy();
    const id = chain.datasetIds[0]!;
    await writeFile(store.pathOf(id), await resign((await store.get(id)).envelopeBytes, [chain.keys.curatorA]));
    const report = await verifyWith(store);
    expect(failuresOf(report, id)).toEqual(['signature ERR_THRESHOLD_NOT_MET']);
    expect(report.checks.find((c) => !c.ok)!.message).toContain('1 of the required 2');
  });

  it('an extra signature by an unknown key does not lower the threshold; a key signing twice counts once', async () => {
    const { store } = await storeCopy();
    const id = chain.datasetIds[0]!;
    const original = (await store.get(id)).envelopeBytes;
    for (const signers of [[chain.keys.curatorA, chain.keys.mallory], [chain.keys.mallory, chain.keys.curatorA], [chain.keys.curatorA, chain.keys.curatorA]] as Signer[][]) {
      await writeFile(store.pathOf(id), await resign(original, signers));
      expect(failuresOf(await verifyWith(store), id)).toEqual(['signature ERR_THRESHOLD_NOT_MET']);
    }
    // With both curators the unknown key's signature is harmless.
    await writeFile(store.pathOf(id), await resign(original, [chain.keys.mallory, chain.keys.curatorA, chain.keys.curatorB]));
    expect((await verifyWith(store)).verified).toBe(true);
  });

  it('a key outside the role never counts: the publisher cannot sign a dataset (curator role)', async () => {
    const { store } = await storeCopy();
    const id = chain.datasetIds[2]!;
    await writeFile(store.pathOf(id), await resign((await store.get(id)).envelopeBytes, [chain.keys.publisher, chain.keys.curatorA]));
    expect(failuresOf(await verifyWith(store), id)).toEqual(['signature ERR_THRESHOLD_NOT_MET']);
  });

  it('a record swapped for another with the same id claimed: record-id ERR_RECORD_ID_MISMATCH, and the link to it fails', async () => {
    const { store } = await storeCopy();
    const [a, b] = chain.datasetIds as [string, string];
    await writeFile(store.pathOf(a), (await store.get(b)).envelopeBytes);
    const report = await verifyWith(store);
    expect(failuresOf(report, a)).toEqual(['record-id ERR_RECORD_ID_MISMATCH']);
    expect(failuresOf(report, chain.modelId)).toEqual(['link ERR_LINK_UNVERIFIED']);
    // The parent links the same dataset: its link fails too.
    expect(failuresOf(report, chain.parentId)).toEqual(['link ERR_LINK_UNVERIFIED']);
  });

  it('a damaged record (truncated file): envelope ERR_MALFORMED', async () => {
    const { store } = await storeCopy();
    await writeFile(store.pathOf(chain.weightsId), '{"payload":');
    const report = await verifyWith(store);
    expect(failuresOf(report, chain.weightsId)).toEqual(['envelope ERR_MALFORMED']);
  });

  it('a dangling link: the parent model is not in the store (ERR_LINK_MISSING)', async () => {
    const { store } = await storeCopy();
    await rm(store.pathOf(chain.parentId));
    const report = await verifyWith(store);
    expect(failures(report)).toEqual(['link ERR_LINK_MISSING']);
    expect(report.checks.find((c) => !c.ok)).toMatchObject({ record: chain.modelId, check: 'link' });
    expect(report.chain.map((r) => r.id)).not.toContain(chain.parentId);
    const text = formatReportText(report);
    expect(text).toContain('    ✗ link ERR_LINK_MISSING: parent ');
    expect(text).toMatch(/\n {4}· parent: record bagaaiera\S+ \(not in the chain\)\n/);
  });

  it('an unknown record kind fails closed (schema ERR_PREDICATE_TYPE) and so does the link to it', async () => {
    const { store } = await storeCopy();
    const payload = canonicalJsonBytes({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'x', digest: { sha256: sha256('x') } }],
      predicateType: 'https://example.com/unknown/v1',
      predicate: {},
    });
    const unknownId = (await store.put(await signEnvelope('application/vnd.in-toto+json', payload, [chain.keys.publisher]))).toString();
    const alone = await verifyWith(store, {}, unknownId);
    expect(failures(alone)).toEqual(['schema ERR_PREDICATE_TYPE']);
    const model = await handMadeModel(store, { datasets: [unknownId] });
    const modelId = (await store.put(model.envelopeBytes)).toString();
    const report = await verifyWith(store, {}, modelId);
    expect(failures(report).sort()).toEqual(['link ERR_LINK_UNVERIFIED', 'schema ERR_PREDICATE_TYPE']);
  });

  it('a link to a record of the wrong kind: a model listed as a dataset (ERR_LINK_KIND)', async () => {
    const { store } = await storeCopy();
    const model = await handMadeModel(store, { datasets: [chain.parentId] });
    const id = (await store.put(model.envelopeBytes)).toString();
    expect(failures(await verifyWith(store, {}, id))).toEqual(['link ERR_LINK_KIND']);
  });

  it('a weights link whose record has another root digest than the model names (ERR_DIGEST_MISMATCH)', async () => {
    const { store } = await storeCopy();
    const otherDir = await makeTemp('provenant-other-model-');
    await writeFile(join(otherDir, 'w.bin'), 'other weights');
    const other = await signModel(otherDir, { signer: chain.keys.publisher, signaturePath: false });
    const otherId = (await store.put(utf8(JSON.stringify(other.bundle.dsseEnvelope)))).toString();
    const model = await handMadeModel(store, { weightsId: otherId, rootFrom: chain.weightsId });
    const id = (await store.put(model.envelopeBytes)).toString();
    expect(failures(await verifyWith(store, {}, id))).toEqual(['link ERR_DIGEST_MISMATCH']);
  });

  it('a kind the policy does not name is not trusted (ERR_KIND_NOT_TRUSTED); no policy keys: nothing is trusted', async () => {
    const noDatasets = await parsePolicy(
      'version: 1\nroles:\n  publisher: { keys: [keys/publisher.pub] }\nkinds:\n  weights: { signedBy: publisher }\n  model: { signedBy: publisher }\n',
      { baseDir: chain.dir },
    );
    const report = await verifyChain(chain.modelId, { store: chain.store, policy: noDatasets });
    expect(failures(report)).toEqual(Array(3).fill('signature ERR_KIND_NOT_TRUSTED'));
    const nothing = await verifyChain(chain.modelId, { store: chain.store, policy: policyFromKeys([]) });
    expect(nothing.verified).toBe(false);
    expect(new Set(failures(nothing))).toEqual(new Set(['signature ERR_KIND_NOT_TRUSTED']));
    expect(failures(nothing)).toHaveLength(nothing.chain.length);
  });

  it('policyFromKeys trusts its keys for every non-governance kind (threshold 1)', async () => {
    const keys = [chain.keys.publisher, chain.keys.curatorA].map((k) => k.publicKey);
    expect((await verifyChain(chain.modelId, { store: chain.store, policy: policyFromKeys(keys) })).verified).toBe(true);
    const strict = policyFromKeys([...keys, chain.keys.curatorB.publicKey], { threshold: 2 });
    const report = await verifyChain(chain.modelId, { store: chain.store, policy: strict });
    // Datasets carry both curators; the publisher signed weights and models alone.
    expect(new Set(failures(report))).toEqual(new Set(['signature ERR_THRESHOLD_NOT_MET']));
  });

  it('the text report: a tree with a mark per check and the reason of each failure', async () => {
    const { store } = await storeCopy();
    await writeFile(store.pathOf(chain.datasetIds[1]!), await resign((await store.get(chain.datasetIds[1]!)).envelopeBytes, [chain.keys.mallory]));
    const text = formatReportText(await verifyWith(store));
    // A mark per record (its own checks); the verdict line sums up the chain.
    expect(text).toMatch(/^✓ model bagaaiera\S+ tiny@1\.0\n/);
    expect(text).toContain('    ✓ signature: signed by 1 of the 1 publisher key (threshold 1)');
    expect(text).toContain('    ✗ dataset: dataset bagaaiera');
    expect(text).toContain('        ✗ signature ERR_SIGNATURE_INVALID: curator role: ');
    expect(text).toContain('(see above)');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^NOT verified: bagaaiera\S+ \(1 of \d+ checks failed\)$/);
    const ok = formatReportText(await verifyChain(chain.modelId, { store: chain.store, policy }), { ascii: true, failuresOnly: true });
    expect(ok).not.toContain('✓');
    expect(ok).toMatch(/^ok {3}model /);
    expect(ok.trimEnd().split('\n').at(-1)).toMatch(/^verified: /);
  });
});

/**
 * A model record made by hand (createRecord checks the schema, never the
 * links), naming weights record `weightsId` with the root digest of the
 * weights record `rootFrom` (by default the same one).
 */
async function handMadeModel(store: DirectoryStore, options: { datasets?: string[]; weightsId?: string; rootFrom?: string }) {
  const weightsId = options.weightsId ?? chain.weightsId;
  const payload = (await store.get(options.rootFrom ?? weightsId)).payload;
  const root = (JSON.parse(new TextDecoder().decode(payload)) as { subject: [{ digest: { sha256: string } }] }).subject[0].digest.sha256;
  const predicate: ModelPredicate = { name: 'hand', version: '1', weights: { id: weightsId, rootDigest: root }, ...(options.datasets ? { datasets: options.datasets } : {}) };
  return createRecord({ kind: 'model', subject: [sha256Subject('hand', root)], predicate, signers: [chain.keys.publisher] });
}

describe('the walk: visited set, cycles, limits (fake graphs: real ids are hashes and cannot form a cycle)', () => {
  it('loads each node once however many links reach it, breadth-first', async () => {
    const edges: Record<string, string[]> = { a: ['b', 'c'], b: ['d'], c: ['d', 'b'], d: [] };
    const loads: string[] = [];
    const graph = await walkGraph(['a'], async (id) => (loads.push(id), { status: 'ok', value: id, links: edges[id]! }), 100);
    expect(loads).toEqual(['a', 'b', 'c', 'd']);
    expect(graph.nodes.map((n) => [n.id, n.depth])).toEqual([['a', 0], ['b', 1], ['c', 1], ['d', 2]]);
    expect(graph.backEdges).toEqual([]);
  });

  it('a cycle terminates, each node once, and the closing links are reported (a self-link too)', async () => {
    const edges: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a', 'c', 'x'] };
    const loads: string[] = [];
    const graph = await walkGraph(['a'], async (id) => {
      loads.push(id);
      return id in edges ? { status: 'ok', value: id, links: edges[id]! } : { status: 'missing' };
    }, 100);
    expect(loads).toEqual(['a', 'b', 'c', 'x']);
    expect(graph.backEdges).toEqual([{ from: 'c', to: 'a' }, { from: 'c', to: 'c' }]);
  });

  it('stops with ERR_LIMIT_EXCEEDED above the record limit (an endless chain)', async () => {
    let n = 0;
    await expectCode(walkGraph(['0'], async (id) => (n++, { status: 'ok', value: id, links: [String(Number(id) + 1)] }), 50), 'ERR_LIMIT_EXCEEDED');
    expect(n).toBeLessThanOrEqual(52);
  });

  it('verifyChain over a lying record source: every id answered with the same record fails record-id, and the walk ends', async () => {
    const model = (await chain.store.get(chain.modelId)).envelopeBytes;
    let gets = 0;
    const liar: RecordSource = { get: async () => (gets++, { envelopeBytes: model }) };
    const report = await verifyChain(chain.modelId, { store: liar, policy });
    expect(report.verified).toBe(false);
    expect(new Set(failures(report))).toEqual(new Set(['record-id ERR_RECORD_ID_MISMATCH', 'link ERR_LINK_UNVERIFIED']));
    expect(gets).toBe(6);
  });
});

describe('outputs, time and the governance plug-in', () => {
  let store: DirectoryStore;
  const created = '2026-06-01T12:00:00Z';
  let outputId: string;
  let hotOutputId: string;

  async function output(text: string, when: string, parameters: Record<string, number | string | boolean>): Promise<string> {
    const record = await createRecord({
      kind: 'output',
      subject: [sha256Subject('output', sha256(text))],
      predicate: { model: chain.modelId, created: when, mediaType: 'text/plain; charset=utf-8', size: text.length, parameters },
      signers: [chain.keys.server],
    });
    return (await store.put(record.envelopeBytes)).toString();
  }

  beforeAll(async () => {
    ({ store } = await storeCopy());
    outputId = await output('hello', created, { temperature: 0.5 });
    hotOutputId = await output('HELLO', created, { temperature: 0.9 });
  });

  /** A governance verifier that approves everything and revokes the model at `revokedAt`. */
  function fakeGovernance(options: { approved?: boolean; revokedAt?: Date; maxTemperature?: number } = {}): GovernanceVerifier & { asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      kinds: ['electorate', 'proposal', 'ballot', 'decision'],
      async verifyRecord() {
        return [];
      },
      async approvalsFor(record: WalkedRecord, action: string) {
        asked.push(`${action} ${record.kind}`);
        return { approved: options.approved ?? true, decisions: [], checks: [] };
      },
      async revocationsOf(record: WalkedRecord) {
        return record.idString === chain.modelId && options.revokedAt ? [{ decision: 'bagaaierarevocation', effectiveAt: options.revokedAt }] : [];
      },
      async parameterLimitsFor() {
        return options.maxTemperature === undefined ? [] : [{ name: 'temperature', max: options.maxTemperature, decision: 'bagaaieralimit' }];
      },
    };
  }

  it('an output -> model -> ... chain verifies; the output is found by its content', async () => {
    const at = new Date('2026-06-02T00:00:00Z');
    const report = await verifyChain(outputId, { store, policy, at });
    expect(failures(report)).toEqual([]);
    expect(report.chain[0]).toMatchObject({ kind: 'output', links: [{ id: chain.modelId, role: 'model' }] });
    expect(report.checks.find((c) => c.check === 'age')).toMatchObject({ ok: true, message: `made at 2026-06-01T12:00:00.000Z` });
    const byContent = await verifyChain({ content: new TextEncoder().encode('hello') }, { store, policy, at });
    expect(byContent.roots).toEqual([outputId]);
    expect(byContent.verified).toBe(true);
  });

  it('maximum age and records from the future (--at before the output)', async () => {
    const old = await policyWith('maxAge: 1d');
    expect(failures(await verifyChain(outputId, { store, policy: old, at: new Date('2026-06-03T00:00:00Z') }))).toEqual(['age ERR_RECORD_TOO_OLD']);
    expect((await verifyChain(outputId, { store, policy: old, at: new Date('2026-06-02T00:00:00Z') })).verified).toBe(true);
    // A kind's own maxAge wins over the policy's.
    const perKind = await parsePolicy(policyYaml().replace('output: { signedBy: server }', 'output: { signedBy: server, maxAge: 1h }') + 'maxAge: 52w\n', { baseDir: chain.dir });
    expect(failures(await verifyChain(outputId, { store, policy: perKind, at: new Date('2026-06-01T14:00:00Z') }))).toEqual(['age ERR_RECORD_TOO_OLD']);
    expect(failures(await verifyChain(outputId, { store, policy, at: new Date('2026-06-01T11:00:00Z') }))).toEqual(['age ERR_RECORD_IN_FUTURE']);
  });

  it('an approval the policy requires fails closed without a governance verifier (ERR_GOVERNANCE_UNAVAILABLE), and so do revocations', async () => {
    const genesis = chain.weightsId; // any record id: the fake verifier does not read it
    const strict = await parsePolicy(
      `${policyYaml().replace('model: { signedBy: publisher }', 'model: { signedBy: publisher, approval: adopt-model }')}governance: { genesis: ${genesis} }\n`,
      { baseDir: chain.dir },
    );
    const report = await verifyChain(chain.modelId, { store: chain.store, policy: strict });
    expect(report.verified).toBe(false);
    const codes = failures(report);
    expect(codes.filter((c) => c === 'approval ERR_GOVERNANCE_UNAVAILABLE')).toHaveLength(2); // the model and its parent
    expect(codes.filter((c) => c === 'revocation ERR_GOVERNANCE_UNAVAILABLE')).toHaveLength(report.chain.length);
    const governance = fakeGovernance();
    const approved = await verifyChain(chain.modelId, { store: chain.store, policy: strict, governance });
    expect(failures(approved)).toEqual([]);
    expect(governance.asked).toEqual(['adopt-model model', 'adopt-model model']);
    const refused = await verifyChain(chain.modelId, { store: chain.store, policy: strict, governance: fakeGovernance({ approved: false }) });
    expect(failures(refused)).toEqual(['approval ERR_APPROVAL_MISSING', 'approval ERR_APPROVAL_MISSING']);
  });

  it('revocations apply by time: an output made after its model was revoked fails, one made before passes', async () => {
    const at = new Date('2026-07-01T00:00:00Z');
    const before = fakeGovernance({ revokedAt: new Date('2026-06-15T00:00:00Z') });
    expect(failures(await verifyChain(outputId, { store, policy, at, governance: before }))).toEqual([]);
    const after = fakeGovernance({ revokedAt: new Date('2026-05-15T00:00:00Z') });
    const report = await verifyChain(outputId, { store, policy, at, governance: after });
    expect(failures(report)).toEqual(['revocation ERR_REVOKED']);
    expect(report.checks.find((c) => !c.ok)!.record).toBe(chain.modelId);
    // The model itself, verified now, is revoked either way.
    expect(failures(await verifyChain(chain.modelId, { store, policy, at, governance: before }))).toEqual(['revocation ERR_REVOKED']);
  });

  it('parameter limits set by governance apply to outputs (ERR_PARAMETER_LIMIT)', async () => {
    const at = new Date('2026-06-02T00:00:00Z');
    const governance = fakeGovernance({ maxTemperature: 0.7 });
    expect(failures(await verifyChain(outputId, { store, policy, at, governance }))).toEqual([]);
    const report = await verifyChain(hotOutputId, { store, policy, at, governance });
    expect(failures(report)).toEqual(['parameters ERR_PARAMETER_LIMIT']);
    expect(report.checks.find((c) => !c.ok)!.details).toEqual(['temperature: 0.9 is above the maximum 0.7 (decision bagaaieralimit)']);
  });

  it('plug-in checks join the report; a failed one without a code is misuse (TypeError); a VerificationError it throws is a failed check', async () => {
    const at = new Date('2026-06-02T00:00:00Z');
    const receipts = {
      kinds: ['output'],
      async verifyRecord() {
        return [{ check: 'receipt', ok: false, code: 'ERR_PROOF_INVALID', message: 'the proof does not reach the root' }];
      },
    };
    const report = await verifyChain(outputId, { store, policy, at, verifiers: [receipts] });
    expect(failures(report)).toEqual(['receipt ERR_PROOF_INVALID']);
    const sloppy = { kinds: ['output'], verifyRecord: async () => [{ check: 'receipt', ok: false, message: 'no code' }] };
    await expect(verifyChain(outputId, { store, policy, at, verifiers: [sloppy] })).rejects.toThrow(TypeError);
    const throwing = {
      ...fakeGovernance(),
      async revocationsOf(): Promise<never> {
        throw new VerificationError('ERR_LINK_MISSING', 'a revocation decision is not in the store');
      },
    };
    const failed = await verifyChain(outputId, { store, policy, at, governance: throwing });
    expect(new Set(failures(failed))).toEqual(new Set(['revocation ERR_LINK_MISSING']));
    expect(failures(failed)).toHaveLength(failed.chain.length);
  });
});
