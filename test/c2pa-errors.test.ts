/**
 * Bad input to the C2PA binding (issue 6), asserted by code: truncated and
 * corrupt images, unsupported formats, a reserve size too small for the
 * chain, certificates that break the C2PA profile, a key that is not the
 * certificate's, receipts that cannot be decoded.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner } from 'provenant';
import { C2PA_SIGNING_EKUS, createDevCertificates, readCredentials, readText, signImage, signText } from '../bindings/c2pa/index.js';
import { buildDevCertificates, type LeafVariant } from '../bindings/c2pa/certificate.js';
import { makeJpeg, makePng, makeWebp } from './c2pa-images.mjs';
import { expectCode, rejection } from './helpers.js';

const dev = createDevCertificates();
const sign = (bytes: Uint8Array, mediaType: string, extra: Record<string, unknown> = {}) =>
  signImage(bytes, mediaType, { certificateChain: dev.chainPem, key: dev.keyPem, ...extra });

describe('truncated, corrupt and unsupported assets', () => {
  const png = makePng();
  const jpeg = makeJpeg();
  const webp = makeWebp();

  it('refuses a PNG cut short, with a bad CRC, or without IEND', async () => {
    await expectCode(sign(png.subarray(0, png.length >> 1), 'image/png'), 'ERR_ASSET_MALFORMED');
    await expectCode(sign(png.subarray(0, png.length - 12), 'image/png'), 'ERR_ASSET_MALFORMED');
    const badCrc = new Uint8Array(png);
    badCrc[50]! ^= 0xff; // inside IDAT's data (IHDR ends at 33; IDAT's header takes 8 more bytes)
    const err = await expectCode(sign(badCrc, 'image/png'), 'ERR_ASSET_MALFORMED');
    expect(err.message).toMatch(/CRC/);
  });

  it('refuses a JPEG cut short (the engine alone would sign it)', async () => {
    const err = await expectCode(sign(jpeg.subarray(0, jpeg.length - 40), 'image/jpeg'), 'ERR_ASSET_MALFORMED');
    expect(err.message).toMatch(/end-of-image/);
    await expectCode(sign(jpeg.subarray(0, 100), 'image/jpeg'), 'ERR_ASSET_MALFORMED');
  });

  it('refuses a WebP whose RIFF size runs past the data, and empty input', async () => {
    await expectCode(sign(webp.subarray(0, 20), 'image/webp'), 'ERR_ASSET_MALFORMED');
    await expectCode(sign(new Uint8Array(0), 'image/png'), 'ERR_ASSET_MALFORMED');
  });

  it('refuses bytes of another format than the one named', async () => {
    const err = await expectCode(sign(jpeg, 'image/png'), 'ERR_ASSET_MALFORMED');
    expect(err.message).toMatch(/image\/jpeg, not image\/png/);
    await expectCode(sign(new Uint8Array(64).fill(7), 'image/gif'), 'ERR_ASSET_MALFORMED');
  });

  it('refuses formats it cannot embed credentials in', async () => {
    await expectCode(sign(new Uint8Array(64), 'image/bmp'), 'ERR_UNSUPPORTED_FORMAT');
    await expectCode(sign(new TextEncoder().encode('hello'), 'text/plain'), 'ERR_UNSUPPORTED_FORMAT');
    await expectCode(sign(new TextEncoder().encode('%PDF-1.7\n'), 'application/pdf'), 'ERR_UNSUPPORTED_FORMAT');
    await expectCode(readCredentials(new Uint8Array(64), 'image/bmp'), 'ERR_UNSUPPORTED_FORMAT');
  });

  it('reads a truncated PNG as malformed, not as "no credentials"', async () => {
    await expectCode(readCredentials(png.subarray(0, 30), 'image/png'), 'ERR_ASSET_MALFORMED');
  });
});

describe('signing credentials', () => {
  it('refuses a reserve size too small for the signature and chain', async () => {
    const err = await expectCode(sign(makePng(), 'image/png', { reserveSize: 200 }), 'ERR_RESERVE_SIZE');
    expect(err.message).toMatch(/needs at least \d+ bytes/);
    await expectCode(signText('hi', { certificateChain: dev.chainPem, key: dev.keyPem, reserveSize: 200 }), 'ERR_RESERVE_SIZE');
  });

  it('pads the claim signature to exactly any larger reserve size', async () => {
    for (const reserveSize of [1200, 1201, 1279, 1280, 1281, 4096]) {
      const signed = await sign(makeJpeg(16, 16), 'image/jpeg', { reserveSize });
      const c = await readCredentials(signed.bytes, 'image/jpeg', { trustAnchors: dev.caPem });
      expect(c.present && c.state, String(reserveSize)).toBe('Trusted');
    }
  });

  it('refuses a key that is not the certificate\'s (a key or a signer)', async () => {
    const other = generateKeyPair('p256').privateKeyPem;
    await expectCode(sign(makePng(), 'image/png', { key: other }), 'ERR_CERT_KEY_MISMATCH');
    const signer = await importSigner(other);
    await expectCode(signImage(makePng(), 'image/png', { certificateChain: dev.chainPem, signer }), 'ERR_CERT_KEY_MISMATCH');
    await expectCode(signText('hi', { certificateChain: dev.chainPem, key: other }), 'ERR_CERT_KEY_MISMATCH');
  });

  it('wants exactly one of key and signer', async () => {
    const both = await rejection(signImage(makePng(), 'image/png', { certificateChain: dev.chainPem, key: dev.keyPem, signer: await importSigner(dev.keyPem) }));
    expect(both).toBeInstanceOf(TypeError);
    const neither = await rejection(signImage(makePng(), 'image/png', { certificateChain: dev.chainPem }));
    expect(neither).toBeInstanceOf(TypeError);
  });

  it('refuses a chain that is not PEM, and a key that cannot be read', async () => {
    await expectCode(sign(makePng(), 'image/png', { certificateChain: 'not a certificate' }), 'ERR_MALFORMED');
    await expectCode(sign(makePng(), 'image/png', { key: 'not a key' }), 'ERR_KEY_INVALID');
  });

  const year = 365 * 86_400_000;
  const broken: [string, LeafVariant, RegExp][] = [
    ['a CA certificate', { ca: true }, /is a CA certificate/],
    ['a certificate without extended key usage', { ekus: null }, /no extended key usage/],
    ['a certificate with only serverAuth', { ekus: ['1.3.6.1.5.5.7.3.1'] }, /extended key usages 1\.3\.6\.1\.5\.5\.7\.3\.1/],
    ['a certificate with anyExtendedKeyUsage', { ekus: [C2PA_SIGNING_EKUS.c2paSigning, '2.5.29.37.0'] }, /anyExtendedKeyUsage/],
    ['a certificate without digitalSignature', { keyUsage: [6] }, /digitalSignature/],
    ['a certificate without key usage', { keyUsage: null }, /digitalSignature/],
    ['a self-signed leaf', { selfSigned: true }, /self-signed/],
    ['a certificate without authority key identifier', { noAuthorityKeyId: true }, /authority key identifier/],
    ['an expired certificate', { notBefore: new Date(Date.now() - 3 * year), notAfter: new Date(Date.now() - year) }, /expired/],
    ['a certificate not yet valid', { notBefore: new Date(Date.now() + year), notAfter: new Date(Date.now() + 2 * year) }, /not valid before/],
  ];
  for (const [what, variant, message] of broken) {
    it(`refuses ${what} (C2PA profile)`, async () => {
      const certs = buildDevCertificates({}, variant);
      const err = await expectCode(signImage(makePng(), 'image/png', { certificateChain: certs.chainPem, key: certs.keyPem }), 'ERR_CERT_PROFILE');
      expect(err.message).toMatch(message);
      await expectCode(signText('hi', { certificateChain: certs.chainPem, key: certs.keyPem }), 'ERR_CERT_PROFILE');
    });
  }

  it('refuses a chain given root first', async () => {
    const err = await expectCode(sign(makePng(), 'image/png', { certificateChain: dev.caPem + dev.chainPem }), 'ERR_CERT_PROFILE');
    expect(err.message).toMatch(/CA certificate/);
  });

  it('drops a self-signed root appended to the chain (C2PA leaves it out)', async () => {
    const signed = await sign(makePng(), 'image/png', { certificateChain: dev.chainPem + dev.caPem });
    const c = await readCredentials(signed.bytes, 'image/png', { trustAnchors: dev.caPem });
    expect(c.present && c.state).toBe('Trusted');
  });

  it('reports the failure of an external signer as it is', async () => {
    const local = await importSigner(dev.keyPem);
    const failing = { publicKey: local.publicKey, sign: async () => Promise.reject(new Error('HSM offline')) };
    const err = await rejection(signImage(makePng(), 'image/png', { certificateChain: dev.chainPem, signer: failing }));
    expect(err.message).toBe('HSM offline');
  });

  it('reports an unreachable time-stamp authority with its code', async () => {
    await expectCode(sign(makePng(), 'image/png', { timestampUrl: 'http://127.0.0.1:9/tsa' }), 'ERR_TSA_FAILED');
  });
});

describe('receipts and wrappers that cannot be decoded', () => {
  it('refuses a receipt that is neither an output record nor a receipt', async () => {
    await expectCode(sign(makePng(), 'image/png', { receipt: new TextEncoder().encode('{"payloadType":"x","payload":"","signatures":[]}') }), 'ERR_MALFORMED');
    await expectCode(sign(makePng(), 'image/png', { receipt: new Uint8Array([0xa0]) }), 'ERR_MALFORMED');
  });

  it('reports a text wrapper whose length runs past its selectors as malformed', async () => {
    const signed = await signText('hello', { certificateChain: dev.chainPem, key: dev.keyPem });
    const cut = [...signed.text].slice(0, 40).join('');
    await expectCode(readText(cut), 'ERR_MALFORMED');
  });
});
