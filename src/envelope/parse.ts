import { decodeBase64 } from '../lib/bytes.js';
import { InputError } from '../lib/errors.js';
import { isObject, parseJson } from '../lib/json.js';
import { MAX_ENVELOPE_BYTES, MAX_SIGNATURES, type Envelope, type EnvelopeLimits, type ParsedEnvelope } from './types.js';

/**
 * Validate a DSSE envelope (JSON text, bytes, or an already-parsed object) and
 * decode its payload and signatures. Standard and URL-safe base64 are both
 * accepted, as the DSSE spec requires.
 *
 * @param input the envelope
 * @param limits size and signature-count limits
 * @returns the envelope with decoded payload bytes
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED`
 * @example
 * ```ts
 * const { payload, payloadType } = parseEnvelope(await readFile('x.dsse.json'));
 * ```
 */
export function parseEnvelope(input: string | Uint8Array | unknown, limits: EnvelopeLimits = {}): ParsedEnvelope {
  const maxBytes = limits.maxBytes ?? MAX_ENVELOPE_BYTES;
  const maxSignatures = limits.maxSignatures ?? MAX_SIGNATURES;
  const raw = typeof input === 'string' || input instanceof Uint8Array ? parseJson(input, 'DSSE envelope', { maxBytes }) : input;
  if (!isObject(raw)) throw new InputError('ERR_MALFORMED', 'DSSE envelope must be a JSON object');
  const bad: string[] = [];
  if (typeof raw.payload !== 'string') bad.push('payload: expected a base64 string');
  if (typeof raw.payloadType !== 'string') bad.push('payloadType: expected a string');
  if (!Array.isArray(raw.signatures)) bad.push('signatures: expected an array');
  if (bad.length) throw new InputError('ERR_MALFORMED', `malformed DSSE envelope: ${bad.join('; ')}`);
  const signatures = raw.signatures as unknown[];
  if (signatures.length === 0) throw new InputError('ERR_MALFORMED', 'malformed DSSE envelope: signatures: empty');
  if (signatures.length > maxSignatures) {
    throw new InputError('ERR_LIMIT_EXCEEDED', `DSSE envelope has ${signatures.length} signatures, above the limit of ${maxSignatures}`);
  }
  const payload = decodeBase64(raw.payload as string);
  if (!payload) throw new InputError('ERR_MALFORMED', 'malformed DSSE envelope: payload: not base64');
  const decoded: ParsedEnvelope['signatures'] = [];
  const sigs: Envelope['signatures'] = [];
  signatures.forEach((s, i) => {
    if (!isObject(s) || typeof s.sig !== 'string') {
      bad.push(`signatures[${i}].sig: expected a base64 string`);
      return;
    }
    if (s.keyid !== undefined && s.keyid !== null && typeof s.keyid !== 'string') {
      bad.push(`signatures[${i}].keyid: expected a string`);
      return;
    }
    const sig = decodeBase64(s.sig);
    if (!sig || sig.length === 0) {
      bad.push(`signatures[${i}].sig: not base64`);
      return;
    }
    decoded.push({ keyid: typeof s.keyid === 'string' && s.keyid !== '' ? s.keyid : undefined, sig });
    sigs.push({ ...(s.keyid !== undefined ? { keyid: s.keyid as string | null } : {}), sig: s.sig });
  });
  if (bad.length) throw new InputError('ERR_MALFORMED', `malformed DSSE envelope: ${bad.join('; ')}`);
  return {
    envelope: { payload: raw.payload as string, payloadType: raw.payloadType as string, signatures: sigs },
    payload,
    payloadType: raw.payloadType as string,
    signatures: decoded,
  };
}
