/**
 * Reading the identity out of a Fulcio certificate we were just issued, to
 * report who signed. (Verification takes the identity from @sigstore/verify,
 * after the chain has verified; this is for display after signing.)
 */
import { X509Certificate } from 'node:crypto';
import type { SigstoreIdentity } from './identity.js';

/** Fulcio's OIDC issuer extensions: 1.3.6.1.4.1.57264.1.8 (a DER UTF8String) and the legacy .1.1 (raw bytes). */
const ISSUER_V2 = Uint8Array.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08]);
const ISSUER_V1 = Uint8Array.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x01]);

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** One DER TLV at `at`: its tag, and where its content starts and ends. */
function tlv(der: Uint8Array, at: number): { tag: number; start: number; end: number } | undefined {
  const tag = der[at];
  let length = der[at + 1];
  if (tag === undefined || length === undefined) return undefined;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = (length << 8) | (der[start + i] ?? 0);
    start += n;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : undefined;
}

/** The extnValue of the extension whose OID TLV is `oid`, if the certificate has it. */
function extensionValue(der: Uint8Array, oid: Uint8Array): Uint8Array | undefined {
  const at = indexOf(der, oid);
  if (at < 0) return undefined;
  let next = tlv(der, at + oid.length);
  if (next?.tag === 0x01) next = tlv(der, next.end); // critical BOOLEAN
  return next?.tag === 0x04 ? der.subarray(next.start, next.end) : undefined;
}

/**
 * The SAN and OIDC issuer of a Fulcio certificate.
 *
 * @param der the certificate, DER
 * @returns the identity (issuer undefined when the certificate has neither issuer extension)
 */
export function certificateIdentity(der: Uint8Array): SigstoreIdentity {
  const cert = new X509Certificate(der);
  const first = (cert.subjectAltName ?? '').split(', ')[0] ?? '';
  const san = first.replace(/^(email|URI|DNS|IP Address|othername):/i, '');
  let issuer: string | undefined;
  const v2 = extensionValue(der, ISSUER_V2);
  const inner = v2 ? tlv(v2, 0) : undefined;
  if (v2 && inner && inner.tag === 0x0c) issuer = new TextDecoder().decode(v2.subarray(inner.start, inner.end));
  else {
    const v1 = extensionValue(der, ISSUER_V1);
    if (v1) issuer = new TextDecoder().decode(v1);
  }
  return { san, issuer };
}
