import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { bytesEqual, fromHex } from '../lib/bytes.js';
import type { PromptDigest } from '../records/schema/output.js';

/** Fewest bytes a prompt secret may have: shorter ones could be guessed along with the prompt. */
export const MIN_PROMPT_SECRET_BYTES = 16;

/** Domain prefix of {@link promptKeyId}, so the id can never equal a digest made for another purpose. */
const KEY_ID_DOMAIN = 'provenant/prompt-hmac-key/v1\u0000';

/** A prompt secret, ready to use. */
export interface PromptKey {
  /** The secret as an HMAC key (never serialized). */
  readonly key: KeyObject;
  /** The id that names it in records: see {@link promptKeyId}. */
  readonly keyId: string;
}

function secretBytes(secret: Uint8Array | string): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
  if (bytes.length < MIN_PROMPT_SECRET_BYTES) {
    throw new RangeError(`"secret" expected at least ${MIN_PROMPT_SECRET_BYTES} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/**
 * The id of a prompt secret: the first 16 hex digits of
 * `SHA-256("provenant/prompt-hmac-key/v1" || 0x00 || secret)`. It tells which
 * secret a prompt digest was made with, and reveals nothing usable about it.
 *
 * @param secret the per-deployment secret (UTF-8 when a string)
 * @returns 16 lower-case hex digits
 * @throws RangeError for a secret shorter than 16 bytes
 * @example
 * ```ts
 * promptKeyId(process.env.PROMPT_SECRET!) // e.g. '3f1c0a9e5b27d4c8'
 * ```
 */
export function promptKeyId(secret: Uint8Array | string): string {
  return createHash('sha256').update(KEY_ID_DOMAIN).update(secretBytes(secret)).digest('hex').slice(0, 16);
}

/**
 * Import a prompt secret once, for many digests.
 *
 * @param secret the per-deployment secret (UTF-8 when a string), at least 16 bytes
 * @returns the HMAC key and its id
 * @throws RangeError for a secret shorter than 16 bytes
 * @example
 * ```ts
 * const key = importPromptKey(secret);
 * promptDigest('hello', key);
 * ```
 */
export function importPromptKey(secret: Uint8Array | string | PromptKey): PromptKey {
  if (typeof secret === 'object' && !(secret instanceof Uint8Array)) return secret;
  const bytes = secretBytes(secret);
  return { key: createSecretKey(bytes), keyId: promptKeyId(bytes) };
}

/**
 * The salted digest of a prompt: HMAC-SHA256 under the per-deployment
 * secret, so that nobody without the secret can confirm a guessed prompt.
 *
 * @param prompt the prompt (UTF-8 when a string)
 * @param secret the secret, or a key from {@link importPromptKey}
 * @returns `{ alg: 'hmac-sha256', keyId, digest }`
 * @throws RangeError for a secret shorter than 16 bytes
 * @example
 * ```ts
 * promptDigest('Write a haiku about rain.', secret).digest // 64 hex digits
 * ```
 */
export function promptDigest(prompt: Uint8Array | string, secret: Uint8Array | string | PromptKey): PromptDigest {
  const key = importPromptKey(secret);
  return { alg: 'hmac-sha256', keyId: key.keyId, digest: createHmac('sha256', key.key).update(prompt).digest('hex') };
}

/**
 * Whether `digest` is the salted digest of `prompt` under `secret` (for
 * whoever holds the secret: an operator answering a dispute).
 *
 * @param prompt the candidate prompt
 * @param digest the recorded prompt digest
 * @param secret the secret, or a key from {@link importPromptKey}
 * @returns true when the key id and the HMAC both match
 * @throws RangeError for a secret shorter than 16 bytes
 * @example
 * ```ts
 * matchesPromptDigest('Write a haiku about rain.', leaf.promptDigest!, secret) // true
 * ```
 */
export function matchesPromptDigest(prompt: Uint8Array | string, digest: PromptDigest, secret: Uint8Array | string | PromptKey): boolean {
  const expected = promptDigest(prompt, secret);
  const got = fromHex(digest.digest);
  return digest.alg === expected.alg && digest.keyId === expected.keyId && got !== undefined && bytesEqual(got, fromHex(expected.digest)!);
}
