import * as nodeCrypto from 'node:crypto';

/**
 * One-shot SHA-256 for the output hot paths. `crypto.hash` (Node 20.12+)
 * skips creating a Hash object, which is most of the cost for the small
 * inputs a Merkle tree hashes (65-byte nodes, ~300-byte leaves); older Nodes
 * fall back to `createHash`. Strings are hashed as UTF-8.
 *
 * The namespace import matters: a named import of `hash` would fail to link
 * on a Node that lacks it.
 */
export const sha256: (data: Uint8Array | string) => Buffer =
  typeof nodeCrypto.hash === 'function'
    ? (data) => nodeCrypto.hash('sha256', data, 'buffer')
    : (data) => nodeCrypto.createHash('sha256').update(data).digest();

/** SHA-256 as lower-case hex. */
export const sha256Hex: (data: Uint8Array | string) => string =
  typeof nodeCrypto.hash === 'function'
    ? (data) => nodeCrypto.hash('sha256', data, 'hex')
    : (data) => nodeCrypto.createHash('sha256').update(data).digest('hex');
