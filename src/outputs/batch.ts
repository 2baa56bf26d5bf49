import type { Signer } from '../envelope/keys.js';
import { toHex } from '../lib/bytes.js';
import { InputError } from '../lib/errors.js';
import { createRecord } from '../records/create-record.js';
import {
  BATCH_SUBJECT_NAME,
  MAX_BATCH_SIZE,
  MERKLE_TREE_ALG,
  OUTPUT_LEAF_TYPE,
  type OutputBatchPredicate,
} from '../records/schema/output.js';
import type { CreatedRecord } from '../records/types.js';
import type { WritableRecordStore } from '../store/types.js';
import type { OutputClaims } from './leaf.js';
import { BatchLeaves, LeafHasher, type LeafSink } from './leaf-hasher.js';
import { MerkleTreeBuilder } from './merkle.js';
import { isoTime, prepareOutput, type OutputContext, type OutputInput } from './prepare.js';
import { BatchReceipt, type OutputReceipt } from './receipt.js';

/** When a batch closes: at `maxItems` outputs or `maxDelayMs` after its first, whichever comes first. */
export interface BatchOptions {
  /** Most outputs in one batch (default 1024; at most 2^24). */
  maxItems?: number;
  /** Longest an output waits for its batch to close, in milliseconds (default 10). */
  maxDelayMs?: number;
}

/** Default `maxItems`. */
export const DEFAULT_BATCH_ITEMS = 1024;
/** Default `maxDelayMs`. */
export const DEFAULT_BATCH_DELAY_MS = 10;

interface OpenBatch extends LeafSink {
  readonly tree: MerkleTreeBuilder;
  readonly leaves: BatchLeaves;
  readonly resolves: ((receipt: OutputReceipt) => void)[];
  readonly rejects: ((err: unknown) => void)[];
  first: number;
  last: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** When it opened (performance.now), how long its timer was set for, and whether the timer closed it. */
  opened: number;
  delay: number;
  byTimer: boolean;
  /** Why the batch cannot be signed, if something failed while it was open. */
  failure: unknown;
}

/** @internal The batching engine behind `createOutputSigner({ batch })`. */
export class BatchEngine {
  readonly #context: OutputContext;
  readonly #signers: readonly Signer[];
  readonly #store: Pick<WritableRecordStore, 'put'> | undefined;
  readonly #maxItems: number;
  readonly #maxDelayMs: number;
  readonly #signing = new Set<Promise<void>>();
  readonly #hasher = new LeafHasher();
  #open: OpenBatch | undefined;
  #closed = false;
  /**
   * How long before the end of its window a batch's timer is set to fire:
   * the time from a timer's due moment to its receipts being handed out
   * (timer lateness, hashing the tree, signing, the store), as a maximum that
   * decays by a tenth per batch. Closing early is always allowed; this keeps
   * the window when the event loop is busy.
   */
  #lead = 1;

  constructor(context: OutputContext, signers: readonly Signer[], store: Pick<WritableRecordStore, 'put'> | undefined, options: BatchOptions) {
    const maxItems = options.maxItems ?? DEFAULT_BATCH_ITEMS;
    const maxDelayMs = options.maxDelayMs ?? DEFAULT_BATCH_DELAY_MS;
    if (!Number.isSafeInteger(maxItems) || maxItems < 1 || maxItems > MAX_BATCH_SIZE) {
      throw new RangeError(`"batch.maxItems" expected an integer in [1, ${MAX_BATCH_SIZE}], got ${maxItems}`);
    }
    if (typeof maxDelayMs !== 'number' || !(maxDelayMs >= 0) || maxDelayMs > 2 ** 31 - 1) {
      throw new RangeError(`"batch.maxDelayMs" expected milliseconds in [0, 2^31), got ${maxDelayMs}`);
    }
    this.#context = context;
    this.#signers = signers;
    this.#store = store;
    this.#maxItems = maxItems;
    this.#maxDelayMs = maxDelayMs;
  }

  /** Outputs waiting for their batch to close. */
  get pending(): number {
    return this.#open?.resolves.length ?? 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  sign(input: OutputInput): Promise<OutputReceipt> {
    if (this.#closed) return Promise.reject(new InputError('ERR_CLOSED', 'the output signer is closed: sign() after close()'));
    let claims: OutputClaims;
    let createdMs: number;
    let content: Uint8Array | string;
    try {
      createdMs = this.#context.now();
      // Read once: its size goes in the leaf, and the hasher copies these bytes now to hash them with the rest of its group.
      content = (input as Partial<OutputInput> | null)?.content as Uint8Array | string;
      claims = prepareOutput(input, this.#context, createdMs, false, content);
    } catch (err) {
      return Promise.reject(err);
    }
    const batch = this.#open ?? this.#openBatch(createdMs);
    if (createdMs < batch.first) batch.first = createdMs;
    if (createdMs > batch.last) batch.last = createdMs;
    const promise = new Promise<OutputReceipt>((resolve, reject) => {
      batch.resolves.push(resolve);
      batch.rejects.push(reject);
    });
    try {
      this.#hasher.add(claims, content, claims.size, batch);
    } catch (err) {
      // Memory for the hashing could not be had: this batch cannot be completed.
      batch.failure ??= err;
    }
    if (batch.resolves.length >= this.#maxItems) this.#closeOpen();
    return promise;
  }

  #openBatch(createdMs: number): OpenBatch {
    const batch: OpenBatch = {
      tree: new MerkleTreeBuilder(),
      leaves: new BatchLeaves(),
      resolves: [],
      rejects: [],
      first: createdMs,
      last: createdMs,
      timer: undefined,
      opened: performance.now(),
      delay: 0,
      byTimer: false,
      failure: undefined,
    };
    this.#open = batch;
    // Not unref'd: a process must not exit with outputs whose receipts are still owed.
    batch.delay = Math.max(0, this.#maxDelayMs - this.#lead);
    batch.timer = setTimeout(() => {
      if (this.#open !== batch) return;
      batch.byTimer = true;
      this.#closeOpen();
    }, batch.delay);
    return batch;
  }

  /** Close the open batch (if any) and start signing it. */
  #closeOpen(): void {
    const batch = this.#open;
    if (batch === undefined) return;
    this.#open = undefined;
    clearTimeout(batch.timer);
    // The hasher's last partial group belongs to this batch: finish it before another opens.
    try {
      this.#hasher.flush(batch);
    } catch (err) {
      batch.failure ??= err;
    }
    const signing = this.#signBatch(batch).finally(() => this.#signing.delete(signing));
    this.#signing.add(signing);
  }

  async #signBatch(batch: OpenBatch): Promise<void> {
    try {
      if (batch.failure !== undefined) throw batch.failure;
      const tree = batch.tree.finish();
      const size = tree.size;
      const predicate: OutputBatchPredicate = {
        model: this.#context.model,
        created: isoTime(this.#context.now()),
        count: size,
        treeAlg: MERKLE_TREE_ALG,
        leafType: OUTPUT_LEAF_TYPE,
        window: { start: new Date(batch.first).toISOString(), end: new Date(batch.last).toISOString() },
      };
      const record: CreatedRecord<'output-batch'> = await createRecord({
        kind: 'output-batch',
        subject: [{ name: BATCH_SUBJECT_NAME, digest: { sha256: toHex(tree.root) } }],
        predicate,
        signers: this.#signers,
      });
      if (this.#store) await this.#store.put(record.envelopeBytes);
      const { id, envelope } = record;
      const { leaves, resolves } = batch;
      for (let i = 0; i < size; i++) resolves[i]!(new BatchReceipt(id, i, size, leaves.get(i), tree, envelope));
      if (batch.byTimer) {
        const needed = performance.now() - batch.opened - batch.delay;
        this.#lead = Math.min(this.#maxDelayMs, Math.max(1, needed, 0.9 * this.#lead));
      }
    } catch (err) {
      // Every output of the batch learns that it has no receipt; none is lost silently.
      // (Rejecting an already-resolved promise does nothing.)
      for (const reject of batch.rejects) reject(err);
    }
  }

  /** Close the open batch now and wait until every batch started so far has settled. */
  async flush(): Promise<void> {
    this.#closeOpen();
    await Promise.allSettled([...this.#signing]);
  }

  /** Refuse new outputs, then flush. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }
}
