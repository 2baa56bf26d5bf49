import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2';
import type { Signer } from '../envelope/keys.js';
import type { Envelope } from '../envelope/types.js';
import { JSON_CODEC } from '../records/id.js';
import { PREDICATE_TYPES } from '../records/kinds.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../records/oms/bundle.js';
import { STATEMENT_TYPE } from '../records/oms/statement.js';
import type { CreatedRecord, StatementOf } from '../records/types.js';
import { promptDigestJson, type OutputClaims } from './leaf.js';
import { allLocal } from './local-key.js';
import { sha256 } from './sha256.js';

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

function outputPayloadText(claims: OutputClaims, model: string): string {
  return (
    `${STATEMENT_PREFIX}${claims.created}","mediaType":${JSON.stringify(claims.mediaType)},"model":"${model}",` +
    `"parameters":${claims.parametersJson},${claims.promptDigest ? `"promptDigest":${promptDigestJson(claims.promptDigest)},` : ''}` +
    `"size":${claims.size}}${STATEMENT_TYPE_FIELD}${claims.sha256}${STATEMENT_SUFFIX}`
  );
}

function assemble(claims: OutputClaims, payloadText: string, payload: Buffer, signers: readonly Signer[], sigs: readonly Uint8Array[]): SignedOutput {
  const payloadBase64 = payload.toString('base64');
  let envelopeText = `${ENVELOPE_PREFIX}${payloadBase64}${ENVELOPE_MIDDLE}`;
  const signatures: Envelope['signatures'] = [];
  for (let i = 0; i < sigs.length; i++) {
    const sig = sigs[i]!;
    const entry = { keyid: signers[i]!.publicKey.keyId, sig: Buffer.from(sig.buffer, sig.byteOffset, sig.byteLength).toString('base64') };
    signatures.push(entry);
    envelopeText += `${i > 0 ? ',' : ''}{"keyid":${JSON.stringify(entry.keyid)},"sig":"${entry.sig}"}`;
  }
  envelopeText += ']}';
  let statement: StatementOf<'output'> | undefined;
  return {
    id: CID.createV1(JSON_CODEC, Digest.create(sha256Hasher.code, sha256(payload))),
    kind: 'output',
    envelope: { payload: payloadBase64, payloadType: IN_TOTO_PAYLOAD_TYPE, signatures },
    envelopeBytes: view(Buffer.from(envelopeText, 'utf8')),
    payload: view(payload),
    // Parsed back from the payload, as createRecord's is, when first read.
    get statement(): StatementOf<'output'> {
      return (statement ??= JSON.parse(payloadText) as StatementOf<'output'>);
    },
    contentSha256: claims.sha256,
  };
}

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
  const head = `${PAE_TYPE}${Buffer.byteLength(payloadText)} `;
  // One UTF-8 encoding gives both the PAE and (as its tail) the payload.
  const message = Buffer.from(head + payloadText, 'utf8');
  const payload = message.subarray(head.length);
  if (allLocal(signers)) {
    return assemble(claims, payloadText, payload, signers, signers.map((s) => s.signSync(message)));
  }
  return Promise.all(signers.map((s) => s.sign(message))).then((sigs) => assemble(claims, payloadText, payload, signers, sigs));
}
