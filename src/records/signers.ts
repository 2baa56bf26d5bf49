import type { Signer } from '../envelope/keys.js';

/** Who signs: one signer, or several (M-of-N approval). */
export interface SignerOptions {
  signer?: Signer;
  signers?: readonly Signer[];
}

/**
 * The signers named by `signer` and `signers`, together.
 *
 * @param options the signer options
 * @returns at least one signer
 * @throws TypeError when no signer is given
 * @example
 * ```ts
 * signersOf({ signer: alice, signers: [bob] }) // [alice, bob]
 * ```
 */
export function signersOf(options: SignerOptions): Signer[] {
  const all = [...(options.signer ? [options.signer] : []), ...(options.signers ?? [])];
  if (all.length === 0) throw new TypeError('expected "signer" or "signers" with at least one signer');
  return all;
}
