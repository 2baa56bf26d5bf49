import type { CID } from 'multiformats/cid';
import type { Envelope, EnvelopeLimits, ParsedEnvelope } from '../envelope/types.js';

/**
 * A record as a store holds it: the parsed envelope (so it can go straight to
 * `verifyEnvelope`), its id, and the envelope bytes exactly as stored.
 *
 * A store only hands out a record after checking that its payload hashes to
 * its id, so `id` is always `recordId(payload)`.
 */
export interface StoredRecord extends ParsedEnvelope {
  /** The record id: CIDv1, codec json, sha2-256 over `payload`. */
  id: CID;
  /** The DSSE envelope in its JSON form. */
  envelope: Envelope;
  /** The envelope bytes exactly as stored (what `store show --envelope` prints). */
  envelopeBytes: Uint8Array;
  /** The exact payload bytes the signatures cover. */
  payload: Uint8Array;
  /** The envelope's payload type. */
  payloadType: string;
}

/** A record id as a CID or its string form (`bagaaiera...`). */
export type RecordIdInput = CID | string;

/**
 * A DSSE envelope given to `put`: its bytes or text (stored exactly as given)
 * or its JSON object (stored as canonical JSON).
 */
export type EnvelopeInput = Uint8Array | string | Envelope;

/** Limits a store applies to every record it reads or writes. */
export interface StoreLimits extends EnvelopeLimits {
  /** Largest CAR index block accepted, in bytes (default 64 MiB). */
  maxIndexBytes?: number;
}

/**
 * The read side of a record store. Every record it returns has been checked
 * against its id; signatures are not verified here (that takes trust
 * material, see `verifyEnvelope`).
 */
export interface RecordStore {
  /** Where the store lives (a directory or a `.car` file), for messages. */
  readonly location: string;
  /** False for read-only stores (a CAR file). */
  readonly writable: boolean;
  /**
   * Read one record.
   * @throws InputError `ERR_RECORD_NOT_FOUND` when the store has no such record
   * @throws VerificationError `ERR_RECORD_ID_MISMATCH` when its bytes do not hash to its id
   */
  get(id: RecordIdInput): Promise<StoredRecord>;
  /** True when the store holds a record with this id (its bytes are not checked). */
  has(id: RecordIdInput): Promise<boolean>;
  /** Every record id in the store, in a stable order. */
  list(): AsyncIterable<CID>;
}

/** A record store that can also be written to. */
export interface WritableRecordStore extends RecordStore {
  readonly writable: true;
  /**
   * Store a DSSE envelope under its record id.
   * @returns the record id
   */
  put(envelope: EnvelopeInput): Promise<CID>;
}
