import { concatBytes, utf8 } from '../lib/bytes.js';

/**
 * DSSE v1 Pre-Authentication Encoding:
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII
 * decimal byte counts. Signatures are always over these bytes.
 *
 * @param payloadType the envelope's payloadType
 * @param payload the exact payload bytes
 * @returns the bytes to sign or verify
 * @example
 * ```ts
 * pae('http://example.com/HelloWorld', utf8('hello world'))
 * // "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
 * ```
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  return concatBytes([utf8(`DSSEv1 ${type.length} `), type, utf8(` ${payload.length} `), payload]);
}
