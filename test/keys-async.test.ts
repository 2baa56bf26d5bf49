/**
 * verifySignatureAsync (signatures on the thread pool) gives the same answer
 * as verifySignature for every algorithm and encoding, and never rejects.
 */
import { sign as cryptoSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importPublicKey, importSigner, verifySignature, verifySignatureAsync, type KeyAlgorithm } from '../src/envelope/keys.js';

describe('verifySignatureAsync', () => {
  it.each(['ed25519', 'p256', 'p384'] as KeyAlgorithm[])('%s: agrees with verifySignature on good, tampered, raw and garbage signatures', async (alg) => {
    const pair = generateKeyPair(alg);
    const signer = await importSigner(pair.privateKeyPem);
    const key = await importPublicKey(pair.publicKeyPem);
    const data = new TextEncoder().encode('the exact signed bytes');
    const der = await signer.sign(data);
    const cases: Uint8Array[] = [der, Uint8Array.from(der, (b, i) => (i === der.length - 1 ? b ^ 1 : b)), new Uint8Array(0), new Uint8Array(64), new Uint8Array(3)];
    if (alg !== 'ed25519') {
      const hash = alg === 'p256' ? 'sha256' : 'sha384';
      cases.push(new Uint8Array(cryptoSign(hash, data, { key: pair.privateKeyPem, dsaEncoding: 'ieee-p1363' })));
    }
    for (const sig of cases) {
      expect(await verifySignatureAsync(key, data, sig)).toBe(verifySignature(key, data, sig));
    }
    expect(await verifySignatureAsync(key, data, der)).toBe(true);
    expect(await verifySignatureAsync(key, new TextEncoder().encode('other bytes'), der)).toBe(false);
  });
});
