/**
 * RFC 3161 time-stamps for C2PA claim signatures (`sigTst2`): the message
 * time-stamped is the CBOR `["CounterSignature", protected, h'', bstr(bstr(signature))]`
 * (the countersignature structure without a signer header), its SHA-256
 * sent to the authority in a TimeStampReq; the token (the response's
 * TimeStampToken, not the whole response) goes into `sigTst2.tstTokens`.
 *
 * @internal
 */
import { createHash, randomBytes } from 'node:crypto';
import { encode as encodeCbor } from 'cborg';
import { InputError } from 'provenant';
import { booleanTrue, children, octetString, oid, readTlv, sequence, smallInteger, unsignedInteger } from './der.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';

/**
 * The bytes a `sigTst2` time-stamp covers for a claim signature: the
 * countersignature structure whose payload is the signature encoded as a
 * CBOR byte string (so the signature appears wrapped twice), as c2pa-rs
 * computes it when it validates the token.
 */
export function countersignatureMessage(protectedBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeCbor(['CounterSignature', protectedBytes, new Uint8Array(0), encodeCbor(signature)]);
}

/** A DER TimeStampReq (RFC 3161 section 2.4.1) for SHA-256 of `message`, asking for the TSA's certificate. */
export function timeStampRequest(message: Uint8Array, nonce: Uint8Array = randomBytes(8)): Uint8Array {
  const digest = createHash('sha256').update(message).digest();
  return sequence(smallInteger(1), sequence(sequence(oid(SHA256)), octetString(digest)), unsignedInteger(nonce), booleanTrue());
}

/**
 * The TimeStampToken of a TimeStampResp, if the status is granted (0) or
 * grantedWithMods (1).
 *
 * @throws InputError `ERR_TSA_FAILED` for a rejection or a malformed response
 */
export function tokenOfResponse(response: Uint8Array): Uint8Array {
  try {
    const outer = readTlv(response).content;
    const [status, token] = children(outer);
    const [code] = children(status!.content);
    const value = code?.tag === 0x02 && code.content.length === 1 ? code.content[0]! : -1;
    if (value !== 0 && value !== 1) throw new InputError('ERR_TSA_FAILED', `the time-stamp authority refused the request (PKIStatus ${value})`);
    if (!token) throw new InputError('ERR_TSA_FAILED', 'the time-stamp response carries no token');
    return outer.slice(token.start, token.end);
  } catch (err) {
    if (err instanceof InputError && err.code === 'ERR_TSA_FAILED') throw err;
    throw new InputError('ERR_TSA_FAILED', `the time-stamp response is malformed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Ask the time-stamp authority at `url` for a token over `message`.
 *
 * @throws InputError `ERR_TSA_FAILED` when the authority cannot be reached or refuses
 */
export async function requestTimestamp(url: string, message: Uint8Array, fetchImpl: typeof fetch = fetch): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: timeStampRequest(message),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new InputError('ERR_TSA_FAILED', `cannot reach the time-stamp authority ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) throw new InputError('ERR_TSA_FAILED', `the time-stamp authority ${url} answered HTTP ${response.status}`);
  return tokenOfResponse(new Uint8Array(await response.arrayBuffer()));
}
