/** One DSSE signature as it appears in an envelope. */
export interface EnvelopeSignature {
  /** Optional, unauthenticated hint of the signing key. */
  keyid?: string | null;
  /** Base64 signature over the PAE. */
  sig: string;
}

/** A DSSE envelope in its JSON form. */
export interface Envelope {
  payload: string;
  payloadType: string;
  signatures: EnvelopeSignature[];
}

/** An envelope after parsing: the JSON form plus decoded bytes. */
export interface ParsedEnvelope {
  envelope: Envelope;
  /** The exact payload bytes (what was signed, inside the PAE). */
  payload: Uint8Array;
  payloadType: string;
  /** Decoded signatures, in envelope order. */
  signatures: { keyid: string | undefined; sig: Uint8Array }[];
}

/** Limits on untrusted envelopes. */
export interface EnvelopeLimits {
  /** Maximum envelope size in bytes (default 16 MiB). */
  maxBytes?: number;
  /** Maximum number of signatures (default 32). */
  maxSignatures?: number;
}

/** Largest envelope accepted by default. */
export const MAX_ENVELOPE_BYTES = 16 * 1024 * 1024;
/** Most signatures accepted on one envelope by default. */
export const MAX_SIGNATURES = 32;
