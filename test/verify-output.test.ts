/**
 * verifyOutput (issue 5): one output verified from its content and its
 * receipt (batched) or record (single), as far as the chain goes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutputSigner } from '../src/outputs/signer.js';
import { encodeReceipt, type OutputReceipt } from '../src/outputs/receipt.js';
import type { SignedOutput } from '../src/outputs/output-record.js';
import { memoStore } from '../src/store/memo.js';
import { verifyOutput } from '../src/verify/output.js';
import { parsePolicy, type TrustPolicy } from '../src/verify/policy.js';
import { cleanupTemp } from './helpers.js';
import { buildChain, policyYaml, type TestChain } from './verify-helpers.js';

let chain: TestChain;
let policy: TrustPolicy;
let single: SignedOutput;
let receipts: OutputReceipt[];

beforeAll(async () => {
  chain = await buildChain();
  policy = await parsePolicy(`${policyYaml('  output-batch: { signedBy: server }')}\n`, { baseDir: chain.dir });
  const one = await createOutputSigner({ model: chain.modelId, signer: chain.keys.server, store: chain.store });
  single = await one.sign({ content: 'a single output', mediaType: 'text/plain', parameters: { temperature: 0.2 } });
  await one.close();
  const batch = await createOutputSigner({ model: chain.modelId, signer: chain.keys.server, store: chain.store, batch: { maxItems: 8, maxDelayMs: 5 } });
  receipts = await Promise.all(['first', 'second', 'third'].map((t) => batch.sign({ content: t, mediaType: 'text/plain', parameters: {} })));
  await batch.close();
}, 120_000);
afterAll(cleanupTemp);

describe('verifyOutput', () => {
  const codes = (r: { checks: readonly { ok: boolean; code?: string }[] }) => r.checks.filter((c) => !c.ok).map((c) => c.code);

  it('a batched output: receipt object, CBOR and JSON encodings all verify; other content fails', async () => {
    const store = memoStore(chain.store);
    for (const proof of [receipts[1]!, encodeReceipt(receipts[1]!, 'cbor'), encodeReceipt(receipts[1]!, 'json')]) {
      const report = await verifyOutput('second', proof, { store, policy });
      expect(codes(report)).toEqual([]);
      expect(report.verified).toBe(true);
      expect(report.chain.map((r) => r.kind)).toContain('output-batch');
    }
    const wrong = await verifyOutput('third', receipts[1]!, { store, policy });
    expect(wrong.verified).toBe(false);
    expect(codes(wrong)).toContain('ERR_DIGEST_MISMATCH');
  });

  it('a receipt whose proof does not reach the root fails (ERR_PROOF_INVALID)', async () => {
    const r = receipts[0]!;
    const forged = { ...r, batch: r.batch, index: r.index, size: r.size, leafBytes: r.leafBytes, leaf: r.leaf, proof: r.proof.map((h) => h.map((b) => b ^ 1)) };
    const report = await verifyOutput('first', forged as OutputReceipt, { store: memoStore(chain.store), policy });
    expect(codes(report)).toContain('ERR_PROOF_INVALID');
  });

  it('a single output: its record (object or bytes) verifies for its content, not for other content', async () => {
    const store = memoStore(chain.store);
    expect((await verifyOutput('a single output', single.envelope, { store, policy })).verified).toBe(true);
    expect((await verifyOutput('a single output', single.envelopeBytes, { store, policy })).verified).toBe(true);
    const other = await verifyOutput('another output', single.envelopeBytes, { store, policy });
    expect(other.verified).toBe(false);
    expect(codes(other)).toEqual(['ERR_DIGEST_MISMATCH']);
  });

  it('a batch signed by a key the policy does not trust fails', async () => {
    const strict = await parsePolicy(`${policyYaml('  output-batch: { signedBy: publisher }')}\n`, { baseDir: chain.dir });
    const report = await verifyOutput('second', receipts[1]!, { store: memoStore(chain.store), policy: strict });
    expect(report.verified).toBe(false);
    expect(codes(report)).toContain('ERR_SIGNATURE_INVALID');
  });
});
