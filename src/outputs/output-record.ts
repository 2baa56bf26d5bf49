import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2';
import type { Signer } from '../envelope/keys.js';
import type { Envelope } from '../envelope/types.js';
import { base64Length, utf8, writeBase64 } from '../lib/bytes.js';
import { JSON_CODEC } from '../records/id.js';
import { PREDICATE_TYPES } from '../records/kinds.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../records/oms/bundle.js';
import { STATEMENT_TYPE } from '../records/oms/statement.js';
import type { CreatedRecord, StatementOf } from '../records/types.js';
import { promptDigestJson, type OutputClaims } from './leaf.js';
import { allLocal } from './local-key.js';
import { bytesLatin1, sha256 } from './sha256.js';

/** The subject name of an `output` record. */
export const OUTPUT_SUBJECT_NAME = 'output';

/** An `output` record just signed, with the content digest it names. */
export interface SignedOutput extends CreatedRecord<'output'> {
  /** SHA-256 of the content, lower-case hex (the statement's subject digest). */
  contentSha256: string;
}

const PAE_TYPE = `DSSEv1 ${Buffer.byteLength(IN_TOTO_PAYLOAD_TYPE)} ${IN_TOTO_PAYLOAD_TYPE} `;
const STATEMENT_PREFIX = `{"_type":${JSON.stringify(STATEMENT_TYPE)},"predicate":{"created":"`;
const STATEMENT_TYPE_FIELD = `,"predicateType":${JSON.stringify(PREDICATE_TYPES.output)},"subject":[{"digest":{"sha256":"`;
const STATEMENT_SUFFIX = `"},"name":${JSON.stringify(OUTPUT_SUBJECT_NAME)}}]}`;
const ENVELOPE_PREFIX = '{"payload":"';
const ENVELOPE_MIDDLE = `","payloadType":${JSON.stringify(IN_TOTO_PAYLOAD_TYPE)},"signatures":[`;

function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

let lastMediaType = '';
let lastMediaTypeJson = '""';
let lastMediaTypeAscii = true;
let lastParameters = '{}';
let lastParametersAscii = true;
const ASCII = /^[\x00-\x7f]*$/u;

/** JSON of a media type, remembered for the last one (a server sends the same few). */
function mediaTypeJson(mediaType: string): string {
  if (mediaType !== lastMediaType) {
    lastMediaTypeJson = JSON.stringify(mediaType);
    lastMediaTypeAscii = ASCII.test(lastMediaTypeJson);
    lastMediaType = mediaType;
  }
  return lastMediaTypeJson;
}

/**
 * Whether an output's statement is all ASCII, so its UTF-8 length is its
 * length: every other part is hex, base64, a record id, a time or a fixed
 * name. Remembered for the last media type and parameters.
 */
function payloadIsAscii(claims: OutputClaims): boolean {
  if (claims.parametersJson !== lastParameters) {
    lastParametersAscii = ASCII.test(claims.parametersJson);
    lastParameters = claims.parametersJson;
  }
  mediaTypeJson(claims.mediaType);
  return lastMediaTypeAscii && lastParametersAscii && (claims.promptDigest === undefined || ASCII.test(claims.promptDigest.keyId));
}

function outputPayloadText(claims: OutputClaims, model: string): string {
  return (
    `${STATEMENT_PREFIX}${claims.created}","mediaType":${mediaTypeJson(claims.mediaType)},"model":"${model}",` +
    `"parameters":${claims.parametersJson},${claims.promptDigest ? `"promptDigest":${promptDigestJson(claims.promptDigest)},` : ''}` +
    `"size":${claims.size}}${STATEMENT_TYPE_FIELD}${claims.sha256}${STATEMENT_SUFFIX}`
  );
}

/** Each signer's `{"keyid":…,"sig":"` JSON, as UTF-8, worked out once per signer. */
const keyIdMembers = new WeakMap<Signer, Uint8Array>();

function keyIdMember(signer: Signer): Uint8Array {
  let member = keyIdMembers.get(signer);
  if (member === undefined) {
    member = utf8(`{"keyid":${JSON.stringify(signer.publicKey.keyId)},"sig":"`);
    keyIdMembers.set(signer, member);
  }
  return member;
}

const ENVELOPE_HEAD = utf8(ENVELOPE_PREFIX);
const ENVELOPE_BODY = utf8(ENVELOPE_MIDDLE);
const SIGNATURE_END = utf8('"}');
const COMMA = 0x2c;
const CLOSE = utf8(']}');

/**
 * Envelopes are carved from shared blocks: one allocation serves many
 * outputs. A block is small enough that an envelope a caller keeps pins
 * little memory with it.
 */
const BLOCK_SIZE = 16 * 1024;
let block = new Uint8Array(BLOCK_SIZE);
let blockAt = 0;

function carve(length: number): Uint8Array {
  if (blockAt + length > block.length) {
    block = new Uint8Array(Math.max(BLOCK_SIZE, length));
    blockAt = 0;
  }
  const out = block.subarray(blockAt, blockAt + length);
  // Keep the next envelope 8-byte aligned.
  blockAt += (length + 7) & ~7;
  return out;
}

/**
 * The record around a payload and its signatures. The envelope's JSON is
 * written straight into bytes: the fixed names (encoded once), the payload's
 * base64 (read from the bytes that were signed) and each signature's; the
 * envelope object is made from those bytes on first read.
 *
 * @param payload holds the payload's bytes at `[start, end)`
 * @param payloadBytes the payload's own bytes when the caller has them (else made on demand)
 */
function assemble(
  claims: OutputClaims,
  payloadText: string,
  payload: Uint8Array,
  start: number,
  end: number,
  payloadBytes: Uint8Array | undefined,
  signers: readonly Signer[],
  sigs: readonly Uint8Array[],
): SignedOutput {
  let length = ENVELOPE_HEAD.length + base64Length(end - start) + ENVELOPE_BODY.length + CLOSE.length + sigs.length - 1;
  for (let i = 0; i < sigs.length; i++) length += keyIdMember(signers[i]!).length + base64Length(sigs[i]!.length) + SIGNATURE_END.length;
  const out = carve(length);
  out.set(ENVELOPE_HEAD, 0);
  let at = writeBase64(payload, start, end, out, ENVELOPE_HEAD.length);
  out.set(ENVELOPE_BODY, at);
  at += ENVELOPE_BODY.length;
  // Where each signature's base64 starts, for the envelope object.
  const sigStarts: number[] = [];
  for (let i = 0; i < sigs.length; i++) {
    if (i > 0) out[at++] = COMMA;
    const member = keyIdMember(signers[i]!);
    out.set(member, at);
    at += member.length;
    sigStarts.push(at);
    at = writeBase64(sigs[i]!, 0, sigs[i]!.length, out, at);
    out.set(SIGNATURE_END, at);
    at += SIGNATURE_END.length;
  }
  out.set(CLOSE, at);
  return new OutputRecord(out, payloadText, payloadBytes, signers, sigStarts, claims.sha256);
}

/**
 * A signed `output` record. The envelope's bytes (what a serving process
 * sends or stores) are made at signing; the envelope object, the payload's
 * own bytes, the parsed statement and the record id (a SHA-256 of the
 * payload) are derived on first read and remembered, so a caller that never
 * asks for them (a store computes the id again from the bytes it writes)
 * does not pay for them. Getters live on the prototype: an object literal
 * with getters would make fresh closures per output.
 */
class OutputRecord implements SignedOutput {
  readonly kind = 'output' as const;
  readonly envelopeBytes: Uint8Array;
  readonly contentSha256: string;
  readonly #payloadText: string;
  readonly #signers: readonly Signer[];
  readonly #sigStarts: readonly number[];
  #envelope: Envelope | undefined;
  #payload: Uint8Array | undefined;
  #statement: StatementOf<'output'> | undefined;
  #id: CID | undefined;

  constructor(
    envelopeBytes: Uint8Array,
    payloadText: string,
    payload: Uint8Array | undefined,
    signers: readonly Signer[],
    sigStarts: readonly number[],
    contentSha256: string,
  ) {
    this.envelopeBytes = envelopeBytes;
    this.#payloadText = payloadText;
    this.#payload = payload;
    this.#signers = signers;
    this.#sigStarts = sigStarts;
    this.contentSha256 = contentSha256;
  }

  get envelope(): Envelope {
    if (this.#envelope === undefined) {
      const bytes = this.envelopeBytes;
      const quote = 0x22;
      const stringAt = (start: number): string => bytesLatin1(bytes.subarray(start, bytes.indexOf(quote, start)));
      this.#envelope = {
        payload: stringAt(ENVELOPE_HEAD.length),
        payloadType: IN_TOTO_PAYLOAD_TYPE,
        signatures: this.#sigStarts.map((start, i) => ({ keyid: this.#signers[i]!.publicKey.keyId, sig: stringAt(start) })),
      };
    }
    return this.#envelope;
  }

  get payload(): Uint8Array {
    return (this.#payload ??= view(Buffer.from(this.#payloadText, 'utf8')));
  }

  get statement(): StatementOf<'output'> {
    return (this.#statement ??= JSON.parse(this.#payloadText) as StatementOf<'output'>);
  }

  get id(): CID {
    return (this.#id ??= CID.createV1(JSON_CODEC, Digest.create(sha256Hasher.code, sha256(this.payload))));
  }
}

/** Where local signers' messages are written: signing is synchronous, so one buffer serves every call. */
let scratch = Buffer.allocUnsafeSlow(4096);

/**
 * Sign an `output` record from validated claims, writing the statement's RFC
 * 8785 canonical JSON and the envelope's JSON directly. The bytes are the
 * ones `createRecord` would produce for the same statement (the tests hold
 * the two to that); the hand-written path exists because single-output
 * signing must cost little more than the signature itself. Signers holding
 * their key in this process sign synchronously.
 *
 * @internal
 * @param claims the output's claims (from `prepareOutput`)
 * @param model the model record id
 * @param signers who signs
 * @returns the signed record
 */
export function signOutputRecord(claims: OutputClaims, model: string, signers: readonly Signer[]): SignedOutput | Promise<SignedOutput> {
  const payloadText = outputPayloadText(claims, model);
  const ascii = payloadIsAscii(claims);
  const payloadLength = ascii ? payloadText.length : Buffer.byteLength(payloadText, 'utf8');
  const head = `${PAE_TYPE}${payloadLength} `;
  const total = head.length + payloadLength;
  if (allLocal(signers)) {
    // The PAE is written into a reused buffer and signed at once; the payload's
    // own bytes are made only if the caller reads them (or the id).
    if (scratch.length < total) scratch = Buffer.allocUnsafeSlow(Math.max(total, 2 * scratch.length));
    // All ASCII, latin1 writes the same bytes as UTF-8, faster, and in one call.
    if (ascii) scratch.write(head + payloadText, 0, 'latin1');
    else {
      scratch.write(head, 0, 'latin1');
      scratch.write(payloadText, head.length, 'utf8');
    }
    const message = scratch.subarray(0, total);
    const sigs = signers.length === 1 ? [signers[0]!.signSync(message)] : signers.map((s) => s.signSync(message));
    return assemble(claims, payloadText, scratch, head.length, total, undefined, signers, sigs);
  }
  // One UTF-8 encoding gives both the PAE and (as its tail) the payload.
  const message = Buffer.from(head + payloadText, 'utf8');
  const payload = message.subarray(head.length);
  return Promise.all(signers.map((s) => s.sign(message))).then((sigs) =>
    assemble(claims, payloadText, message, head.length, message.length, view(payload), signers, sigs),
  );
}
