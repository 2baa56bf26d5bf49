import type { CID } from 'multiformats/cid';
import type { KeyInput, Signer } from '../envelope/keys.js';
import { InputError } from '../lib/errors.js';
import { signersOf, type SignerOptions } from '../records/signers.js';
import type { WritableRecordStore } from '../store/types.js';
import { BatchEngine, type BatchOptions } from './batch.js';
import { localSigner } from './local-key.js';
import { signOutputRecord, type SignedOutput } from './output-record.js';
import type { ParameterLimit } from './parameters.js';
import { outputContext, prepareOutput, type OutputContext, type OutputInput } from './prepare.js';
import type { OutputReceipt } from './receipt.js';

/** Options of {@link createOutputSigner}. */
export interface OutputSignerOptions extends SignerOptions {
  /** Id of the `model` record of the model whose outputs are signed. */
  model: CID | string;
  /** A private key (PEM, JWK or KeyObject) to sign with, instead of (or besides) `signer`/`signers`. */
  key?: KeyInput;
  /**
   * Per-deployment secret (at least 16 bytes) for salted prompt digests:
   * HMAC-SHA256(secret, prompt). Without it, `prompt` is refused.
   */
  secret?: Uint8Array | string;
  /** Batch mode: one `output-batch` record per batch, a receipt with an inclusion proof per output. */
  batch?: BatchOptions;
  /** Approved limits on generation parameters (from governance `set-parameter` decisions). */
  limits?: readonly ParameterLimit[];
  /** Where each signed record (an `output` record, or each `output-batch` record) is written. */
  store?: Pick<WritableRecordStore, 'put'>;
  /** The current time, as a Date or epoch milliseconds (default `Date.now`). */
  clock?: () => Date | number;
}

/** Signs each output into its own `output` record. */
export interface SingleOutputSigner {
  readonly mode: 'single';
  /**
   * Sign one output.
   * @throws VerificationError `ERR_SCHEMA` (bad media type or parameters), `ERR_PARAMETER_LIMIT`
   * @throws InputError `ERR_CLOSED` after close(); whatever the store's `put` throws
   */
  sign(output: OutputInput): Promise<SignedOutput>;
  /** Wait until every signature started so far has settled. */
  flush(): Promise<void>;
  /** Refuse new outputs and wait for those under way. */
  close(): Promise<void>;
}

/** Collects outputs into batches and signs each batch's Merkle root once. */
export interface BatchOutputSigner {
  readonly mode: 'batch';
  /**
   * Add one output to the open batch; resolves with its receipt once the batch is signed.
   * @throws VerificationError `ERR_SCHEMA`, `ERR_PARAMETER_LIMIT` (this output only, at once)
   * @throws InputError `ERR_CLOSED` after close(); if the batch cannot be signed (the signer or
   *   the store fails), every output of the batch rejects with that error
   */
  sign(output: OutputInput): Promise<OutputReceipt>;
  /** Close the open batch now; resolves once every batch started so far has settled (each sign() learns its own outcome). */
  flush(): Promise<void>;
  /** Refuse new outputs, then flush: nothing accepted is left unsigned. */
  close(): Promise<void>;
  /** Outputs waiting in the open batch. */
  readonly pending: number;
}

class SingleSigner implements SingleOutputSigner {
  readonly mode = 'single' as const;
  readonly #context: OutputContext;
  readonly #signers: readonly Signer[];
  readonly #store: Pick<WritableRecordStore, 'put'> | undefined;
  #running = 0;
  #idle: (() => void)[] = [];
  #closed = false;

  constructor(context: OutputContext, signers: readonly Signer[], store: Pick<WritableRecordStore, 'put'> | undefined) {
    this.#context = context;
    this.#signers = signers;
    this.#store = store;
  }

  async sign(output: OutputInput): Promise<SignedOutput> {
    if (this.#closed) throw new InputError('ERR_CLOSED', 'the output signer is closed: sign() after close()');
    // Everything the caller owns is read before the first await.
    const claims = prepareOutput(output, this.#context);
    const signed = signOutputRecord(claims, this.#context.model, this.#signers);
    // A local key has signed already: nothing is under way unless there is a store to write.
    if (!(signed instanceof Promise) && this.#store === undefined) return signed;
    this.#running++;
    try {
      const record = await signed;
      if (this.#store) await this.#store.put(record.envelopeBytes);
      return record;
    } finally {
      if (--this.#running === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  flush(): Promise<void> {
    return this.#running === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.flush();
  }
}

class BatchSigner implements BatchOutputSigner {
  readonly mode = 'batch' as const;
  readonly #engine: BatchEngine;

  constructor(engine: BatchEngine) {
    this.#engine = engine;
  }

  sign(output: OutputInput): Promise<OutputReceipt> {
    return this.#engine.sign(output);
  }

  flush(): Promise<void> {
    return this.#engine.flush();
  }

  close(): Promise<void> {
    return this.#engine.close();
  }

  get pending(): number {
    return this.#engine.pending;
  }
}

/**
 * Create the signer a model-serving process attaches provenance with.
 *
 * Without `batch`, each `sign` returns a signed `output` record (subject: the
 * content's SHA-256; predicate: model record id, time, media type, size,
 * generation parameters, salted prompt digest). With `batch`, outputs are
 * collected for up to `maxItems` items or `maxDelayMs` milliseconds, hashed
 * into an RFC 6962 Merkle tree whose root one `output-batch` record signs,
 * and each `sign` resolves with a receipt carrying its inclusion proof.
 * Parameters are checked against `limits` before anything is signed.
 *
 * @param options model record id, signer or key, optional prompt secret, batching, limits, store, clock
 * @returns the signer: `sign`, `flush`, `close`
 * @throws InputError `ERR_MALFORMED` (model is not a record id), `ERR_KEY_INVALID`, `ERR_KEY_UNSUPPORTED`
 * @throws TypeError without a signer or key, or for a malformed limit; RangeError for a short secret or bad batch sizes
 * @example
 * ```ts
 * const outputs = await createOutputSigner({ model: modelId, key: pem, secret, batch: { maxItems: 512, maxDelayMs: 10 } });
 * const receipt = await outputs.sign({ content: text, mediaType: 'text/plain; charset=utf-8', parameters: { temperature: 0.7 }, prompt });
 * res.setHeader('x-provenant-receipt', Buffer.from(encodeReceipt(receipt, 'cbor')).toString('base64'));
 * process.on('SIGTERM', () => outputs.close());
 * ```
 */
export function createOutputSigner(options: OutputSignerOptions & { batch: BatchOptions }): Promise<BatchOutputSigner>;
export function createOutputSigner(options: OutputSignerOptions & { batch?: undefined }): Promise<SingleOutputSigner>;
export function createOutputSigner(options: OutputSignerOptions): Promise<SingleOutputSigner | BatchOutputSigner>;
export async function createOutputSigner(options: OutputSignerOptions): Promise<SingleOutputSigner | BatchOutputSigner> {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const context = outputContext(options);
  const fromKey = options.key !== undefined ? [await localSigner(options.key)] : [];
  const signers = fromKey.length > 0 && options.signer === undefined && options.signers === undefined ? fromKey : [...signersOf(options), ...fromKey];
  if (options.store !== undefined && typeof options.store?.put !== 'function') throw new TypeError('"store" expected a writable record store');
  if (options.batch === undefined) return new SingleSigner(context, signers, options.store);
  return new BatchSigner(new BatchEngine(context, signers, options.store, options.batch));
}
