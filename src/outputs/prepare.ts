import type { CID } from 'multiformats/cid';
import { parseRecordId } from '../records/id.js';
import type { OutputParameters } from '../records/schema/output.js';
import { FieldErrors } from '../records/schema/validate.js';
import { isMediaType, type OutputClaims } from './leaf.js';
import { canonicalParameters, checkLimits, checkParameters, type ParameterLimit } from './parameters.js';
import { importPromptKey, type PromptKey } from './prompt.js';
import { createHmac } from 'node:crypto';
import { sha256Hex } from './sha256.js';

/** One generated output to sign. */
export interface OutputInput {
  /** The output's exact bytes (a string is signed as its UTF-8 bytes). */
  content: Uint8Array | string;
  /** Its media type, e.g. `text/plain; charset=utf-8`. */
  mediaType: string;
  /** The generation parameters (default `{}`). */
  parameters?: OutputParameters;
  /** The prompt; only its salted digest is recorded, and only when the signer has a `secret`. */
  prompt?: Uint8Array | string;
}

/** The settings every output of one signer shares. */
export interface OutputContext {
  /** The model record id, as text. */
  model: string;
  limits: readonly ParameterLimit[];
  promptKey: PromptKey | undefined;
  /** The current time in milliseconds since the epoch. */
  now: () => number;
}

/** @internal Build the shared context, checking every option once. */
export function outputContext(options: {
  model: CID | string;
  limits?: readonly ParameterLimit[] | undefined;
  secret?: Uint8Array | string | undefined;
  clock?: (() => Date | number) | undefined;
}): OutputContext {
  const model = parseRecordId(typeof options.model === 'string' ? options.model : String(options.model)).toString();
  const clock = options.clock;
  if (clock !== undefined && typeof clock !== 'function') throw new TypeError('"clock" expected a function returning a Date or milliseconds');
  return {
    model,
    limits: checkLimits(options.limits ?? []),
    promptKey: options.secret === undefined ? undefined : importPromptKey(options.secret),
    now: clock === undefined ? Date.now : () => +clock(),
  };
}

let lastMs = Number.NaN;
let lastIso = '';

/**
 * RFC 3339 text of `ms` (`toISOString`), remembered for the last
 * millisecond: at 100,000 outputs a second most calls share one.
 *
 * @internal
 */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    const iso = Number.isFinite(ms) ? new Date(ms).toISOString() : '';
    // Years outside 0000-9999 print as "+010000-..." which RFC 3339 cannot say.
    if (iso.length !== 24) throw new RangeError(`the clock gave ${ms}, not a time RFC 3339 can state`);
    lastMs = ms;
    lastIso = iso;
  }
  return lastIso;
}

function badInput(path: string, message: string): never {
  const errors = new FieldErrors();
  errors.add(path, message);
  errors.throwIfAny('output');
  throw new Error('unreachable');
}

/**
 * Check one output and compute what its leaf or record says: the content
 * digest and size, the canonical parameters (checked against the approved
 * limits), the salted prompt digest, the time. Everything caller-owned is
 * read here, synchronously, before any await.
 *
 * @internal
 * @param nowMs the output's time (default: the context's clock, now)
 * @param hashContent false to leave `sha256` empty for the caller to fill in (batches hash contents in groups)
 * @param content the content, when the caller has read it already (so it is read once, and is the bytes it hashes)
 * @throws VerificationError `ERR_SCHEMA` (bad media type or parameters), `ERR_PARAMETER_LIMIT`
 * @throws TypeError for content that is not bytes or text, or a prompt without a secret
 */
export function prepareOutput(input: OutputInput, context: OutputContext, nowMs: number = context.now(), hashContent = true, content: unknown = input?.content): OutputClaims {
  if (typeof input !== 'object' || input === null) throw new TypeError('"output" expected an object { content, mediaType, parameters?, prompt? }');
  const { mediaType, parameters, prompt } = input;
  let size: number;
  if (typeof content === 'string') size = Buffer.byteLength(content, 'utf8');
  else if (content instanceof Uint8Array) size = content.length;
  else throw new TypeError('"content" expected a Uint8Array or a string');
  if (!isMediaType(mediaType)) badInput('mediaType', 'expected a media type such as text/plain; charset=utf-8');
  const parametersJson = canonicalParameters(parameters);
  if (context.limits.length > 0) checkParameters(parameters ?? {}, context.limits);
  const claims: OutputClaims = { created: isoTime(nowMs), sha256: hashContent ? sha256Hex(content) : '', mediaType, size, parametersJson };
  if (prompt !== undefined) {
    if (context.promptKey === undefined) throw new TypeError('a "prompt" was given but the signer has no "secret" to digest it with');
    if (typeof prompt !== 'string' && !(prompt instanceof Uint8Array)) throw new TypeError('"prompt" expected a Uint8Array or a string');
    const key = context.promptKey;
    claims.promptDigest = { alg: 'hmac-sha256', keyId: key.keyId, digest: createHmac('sha256', key.key).update(prompt).digest('hex') };
  }
  return claims;
}
