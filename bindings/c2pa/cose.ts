/**
 * COSE_Sign1 (RFC 9052) as C2PA uses it for the claim signature: tag 18,
 * protected header `{1: alg, 33: x5chain}`, a detached payload (the claim),
 * and an unprotected `pad` (and if needed `pad2`) that makes the structure
 * exactly as long as the space reserved for it in the manifest store.
 *
 * @internal
 */
import { decode as decodeCbor, encode as encodeCbor, Tagged } from 'cborg';
import { derToRawEcdsa, InputError, verifySignature, type KeyAlgorithm, type PublicKey, type Signer } from 'provenant';

/** COSE algorithm ids (IANA COSE Algorithms registry) and c2pa-rs names, by provenant key algorithm. */
export const COSE_ALGORITHMS: Record<KeyAlgorithm, { id: number; name: string; coordinate: number }> = {
  p256: { id: -7, name: 'es256', coordinate: 32 },
  p384: { id: -35, name: 'es384', coordinate: 48 },
  p521: { id: -36, name: 'es512', coordinate: 66 },
  ed25519: { id: -8, name: 'ed25519', coordinate: 0 },
};

const HEADER_ALG = 1;
const HEADER_X5CHAIN = 33;
const COSE_SIGN1_TAG = 18;

/** What goes into one claim signature. */
export interface CoseSignInput {
  /** The bytes signed (the CBOR claim), detached from the structure. */
  payload: Uint8Array;
  signer: Signer;
  /** DER certificates, leaf first, root left out. */
  chain: readonly Uint8Array[];
  /** Exact size the result must have. */
  reserveSize: number;
  /** An RFC 3161 time-stamp token to carry as `sigTst2`, given the signature and the protected header. */
  timestamp?: (signature: Uint8Array, protectedBytes: Uint8Array) => Promise<Uint8Array | undefined>;
}

/** `Sig_structure` for a COSE_Sign1 with an empty external AAD (RFC 9052 section 4.4). */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/** The protected header: the algorithm and the certificate chain (one certificate as a byte string, several as an array). */
export function protectedHeader(algorithm: KeyAlgorithm, chain: readonly Uint8Array[]): Uint8Array {
  const x5chain = chain.length === 1 ? chain[0]! : [...chain];
  return encodeCbor(
    new Map<number, unknown>([
      [HEADER_ALG, COSE_ALGORITHMS[algorithm].id],
      [HEADER_X5CHAIN, x5chain],
    ]),
  );
}

/** CBOR head length for a byte string of `n` bytes. */
function headLength(n: number): number {
  return n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
}

function encodeSign1(protectedBytes: Uint8Array, unprotected: Map<string, unknown>, signature: Uint8Array): Uint8Array {
  return encodeCbor(new Tagged(COSE_SIGN1_TAG, [protectedBytes, unprotected, null, signature]));
}

/**
 * Sign `payload` into a tagged COSE_Sign1 of exactly `reserveSize` bytes.
 *
 * @throws InputError `ERR_RESERVE_SIZE` when the signature and chain do not fit
 */
export async function signCose(input: CoseSignInput): Promise<Uint8Array> {
  const { algorithm } = input.signer.publicKey;
  const info = COSE_ALGORITHMS[algorithm];
  const protectedBytes = protectedHeader(algorithm, input.chain);
  const toBeSigned = sigStructure(protectedBytes, input.payload);
  let signature = await input.signer.sign(toBeSigned);
  // provenant Signers return DER for ECDSA; COSE wants r || s (RFC 9053 section 2.1).
  if (algorithm !== 'ed25519') signature = derToRawEcdsa(signature, info.coordinate);
  const unprotected = new Map<string, unknown>();
  const token = input.timestamp ? await input.timestamp(signature, protectedBytes) : undefined;
  if (token) unprotected.set('sigTst2', { tstTokens: [{ val: token }] });
  return padTo(protectedBytes, unprotected, signature, input.reserveSize);
}

/** Add `pad` (and `pad2` where one field cannot hit the size) so the encoding is exactly `size` bytes. */
function padTo(protectedBytes: Uint8Array, unprotected: Map<string, unknown>, signature: Uint8Array, size: number): Uint8Array {
  const withPad = (pad: number, pad2?: number) => {
    const map = new Map(unprotected);
    map.set('pad', new Uint8Array(pad));
    if (pad2 !== undefined) map.set('pad2', new Uint8Array(pad2));
    return encodeSign1(protectedBytes, map, signature);
  };
  const base = withPad(0).length;
  if (base > size) {
    throw new InputError(
      'ERR_RESERVE_SIZE',
      `the claim signature needs at least ${base} bytes (signature, certificate chain${unprotected.size ? ', time-stamp' : ''}), but only ${size} are reserved; raise reserveSize`,
    );
  }
  const need = size - base;
  for (let pad = need; pad >= Math.max(0, need - 4); pad--) {
    if (pad + headLength(pad) - 1 === need) return withPad(pad);
  }
  // The byte-string head grew by more than the gap: split the padding in two fields.
  const second = withPad(0, 0).length - base;
  for (let pad = need - second; pad >= Math.max(0, need - second - 4); pad--) {
    if (pad + headLength(pad) - 1 + second === need) return withPad(pad, 0);
  }
  throw new InputError('ERR_RESERVE_SIZE', `cannot pad the claim signature to exactly ${size} bytes`);
}

/** A parsed COSE_Sign1 claim signature. */
export interface ParsedCose {
  algorithm: number;
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
  protectedBytes: Uint8Array;
  signature: Uint8Array;
  /** The first RFC 3161 token of `sigTst2`, when present. */
  timestampToken?: Uint8Array;
}

/**
 * Parse a tagged (or untagged) COSE_Sign1 with a detached payload.
 *
 * @throws InputError `ERR_MALFORMED`
 */
export function parseCose(bytes: Uint8Array): ParsedCose {
  const bad = (why: string, cause?: unknown) => new InputError('ERR_MALFORMED', `malformed claim signature: ${why}`, cause ? { cause } : undefined);
  let value: unknown;
  try {
    value = decodeCbor(bytes, { tags: Tagged.preserve(COSE_SIGN1_TAG), useMaps: true, rejectDuplicateMapKeys: true });
  } catch (err) {
    throw bad(`not CBOR (${(err as Error).message})`, err);
  }
  if (value instanceof Tagged) value = value.value;
  if (!Array.isArray(value) || value.length !== 4) throw bad('expected [protected, unprotected, payload, signature]');
  const [protectedBytes, unprotected, payload, signature] = value as [unknown, unknown, unknown, unknown];
  if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map) || payload !== null || !(signature instanceof Uint8Array)) {
    throw bad('expected a detached payload and byte-string headers');
  }
  let header: unknown;
  try {
    header = decodeCbor(protectedBytes, { useMaps: true, rejectDuplicateMapKeys: true });
  } catch (err) {
    throw bad('protected header is not CBOR', err);
  }
  if (!(header instanceof Map)) throw bad('protected header is not a map');
  const alg = header.get(HEADER_ALG);
  if (typeof alg !== 'number') throw bad('no algorithm in the protected header');
  const x5 = header.get(HEADER_X5CHAIN) ?? unprotected.get(HEADER_X5CHAIN);
  const chain = x5 instanceof Uint8Array ? [x5] : Array.isArray(x5) && x5.every((c) => c instanceof Uint8Array) ? (x5 as Uint8Array[]) : undefined;
  if (!chain || chain.length === 0) throw bad('no x5chain certificate');
  const tst = unprotected.get('sigTst2') ?? unprotected.get('sigTst');
  const tokens = tst instanceof Map ? tst.get('tstTokens') : undefined;
  const first = Array.isArray(tokens) && tokens[0] instanceof Map ? (tokens[0] as Map<string, unknown>).get('val') : undefined;
  return { algorithm: alg, chain, protectedBytes, signature, ...(first instanceof Uint8Array ? { timestampToken: first } : {}) };
}

/**
 * Check a parsed COSE_Sign1 over `payload` with `key`.
 *
 * @returns true only when the algorithm matches the key and the signature holds
 */
export function verifyCose(cose: ParsedCose, payload: Uint8Array, key: PublicKey): boolean {
  if (COSE_ALGORITHMS[key.algorithm].id !== cose.algorithm) return false;
  const tbs = sigStructure(cose.protectedBytes, payload);
  // COSE ECDSA signatures are r || s of fixed width, never DER.
  if (key.algorithm !== 'ed25519' && cose.signature.length !== 2 * COSE_ALGORITHMS[key.algorithm].coordinate) return false;
  return verifySignature(key, tbs, cose.signature);
}
