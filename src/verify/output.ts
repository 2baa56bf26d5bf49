import { createHash } from 'node:crypto';
import { isObject, parseJson } from '../lib/json.js';
import type { Envelope } from '../envelope/types.js';
import { parseEnvelope } from '../envelope/parse.js';
import { decodeReceipt, type OutputReceipt } from '../outputs/receipt.js';
import { verifyChain, type VerifyChainOptions } from './chain.js';
import type { VerifyReport } from './report.js';

/** What an output's provenance is given as: a batch receipt (object, JSON or CBOR), or a single output record's envelope. */
export type OutputProof = OutputReceipt | Envelope | Uint8Array | string;

function isEnvelope(value: unknown): value is Envelope {
  return isObject(value) && typeof value.payload === 'string' && typeof value.payloadType === 'string' && Array.isArray(value.signatures);
}

/** An envelope given as bytes or text: JSON with payload, payloadType and signatures. */
function envelopeBytes(proof: Uint8Array | string): Uint8Array | undefined {
  const bytes = typeof proof === 'string' ? new TextEncoder().encode(proof) : proof;
  if (bytes[0] !== 0x7b) return undefined; // not JSON: a CBOR receipt
  try {
    const value = parseJson(bytes, 'output proof');
    return isEnvelope(value) ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verify one generated output as far as its chain goes: the receipt (or
 * output record) names this content, a batch receipt's inclusion proof
 * reaches its signed batch, and then everything `verifyChain` checks: the
 * model, its weights and datasets, the governance decisions that approved
 * them, revocations by time and the parameter limits in force when the
 * output was made.
 *
 * @param content the output's exact bytes (a string is taken as UTF-8)
 * @param proof a batch receipt (object, JSON or CBOR bytes) or the output record's envelope (object, JSON bytes or text)
 * @param options the store, the trust policy, and the other options of `verifyChain` (governance, at, ...)
 * @returns the report; `verified` is true only when every check holds. Never throws for a failed check.
 * @throws InputError `ERR_MALFORMED` for a proof that is neither a receipt nor an envelope
 * @throws TypeError for misuse (as `verifyChain`)
 * @example
 * ```ts
 * const store = memoStore(await openStore('.provenant'));
 * const report = await verifyOutput(text, receiptBytes, { store, policy, governance: createGovernanceVerifier(store) });
 * if (!report.verified) console.error(formatReportText(report));
 * ```
 */
export async function verifyOutput(content: Uint8Array | string, proof: OutputProof, options: VerifyChainOptions): Promise<VerifyReport> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const envelope = isEnvelope(proof)
    ? new TextEncoder().encode(JSON.stringify(proof))
    : proof instanceof Uint8Array || typeof proof === 'string'
      ? envelopeBytes(proof)
      : undefined;
  if (envelope === undefined) {
    const receipt = proof instanceof Uint8Array || typeof proof === 'string' ? decodeReceipt(proof) : (proof as OutputReceipt);
    return verifyChain({ receipt, content: bytes }, options);
  }
  const report = await verifyChain(envelope, options);
  // A single output record names its content by digest: it must be this content.
  const root = report.chain.find((r) => r.id === report.roots[0]);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const here = { record: report.roots[0] ?? report.target, kind: root?.kind ?? 'unknown' };
  const named = root?.kind === 'output' && namesContent(envelope, sha);
  const check = named
    ? { ...here, check: 'content', ok: true, message: `the record names this content (sha256 ${sha})` }
    : { ...here, check: 'content', ok: false, code: 'ERR_DIGEST_MISMATCH', message: `the ${root?.kind ?? 'record'} does not name this content (sha256 ${sha})` };
  return { ...report, checks: [check, ...report.checks], verified: report.verified && check.ok };
}

function namesContent(envelope: Uint8Array, sha: string): boolean {
  const statement = parseJson(parseEnvelope(envelope).payload, 'output statement');
  return isObject(statement) && Array.isArray(statement.subject) && statement.subject.some((s) => isObject(s) && isObject(s.digest) && s.digest.sha256 === sha);
}
