/**
 * Small, strict readers for the protobuf-JSON that Sigstore bundles and
 * trusted roots are written in. Buffer stays inside this binding: the
 * sigstore libraries want it, our public API hands out Uint8Array.
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decode standard or URL-safe base64 (protobuf JSON accepts both), strictly:
 * no whitespace, no stray characters, padding only at the end.
 *
 * @returns the bytes, or undefined when `value` is not base64
 */
export function base64Bytes(value: unknown): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  if (!BASE64.test(value) && !BASE64URL.test(value)) return undefined;
  const bare = value.replace(/=+$/, '');
  if (bare.length % 4 === 1) return undefined;
  const bytes = Buffer.from(bare.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  // Buffer ignores trailing bits; re-encoding catches a non-canonical last character.
  if (bytes.toString('base64').replace(/=+$/, '') !== bare.replace(/-/g, '+').replace(/_/g, '/')) return undefined;
  return bytes;
}

/** Standard base64 with padding, as protobuf JSON writes bytes. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * A protobuf int64/uint64 in JSON: a decimal string, or a safe non-negative
 * integer number.
 *
 * @returns the decimal string, or undefined
 */
export function int64String(value: unknown): string | undefined {
  if (typeof value === 'string' && /^(0|[1-9][0-9]{0,19})$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time (protobuf Timestamp JSON), or undefined. */
export function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A plain JSON object (null-prototype objects from parseJson included). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype;
}

/**
 * Collects every bad field path of a document, so one error can name them
 * all (as @sigstore/bundle's ValidationError does) instead of the first.
 */
export class FieldProblems {
  readonly problems: string[] = [];

  /** Record that `path` is bad, and why. */
  add(path: string, why: string): void {
    this.problems.push(`${path}: ${why}`);
  }

  /** True when nothing was recorded. */
  get ok(): boolean {
    return this.problems.length === 0;
  }
}

/**
 * Protobuf JSON reads `null` as "field not set": drop object members whose
 * value is null (recursively) so the parsers see absent fields only. Array
 * elements are kept (a null element is an error the parser reports).
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
  return out;
}
